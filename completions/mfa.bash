# bash completion for mfa and mfaenv. `mfaenv init bash` loads it; to install it on its
# own, copy it to ~/.local/share/bash-completion/completions/mfa (and link it as mfaenv).
# Profile names are read from the AWS files by bash itself: Python never starts on a tab.

__mfaenv_profiles() {
    local __mfaenv_file __mfaenv_line __mfaenv_kind
    for __mfaenv_kind in config credentials; do
        if [ "$__mfaenv_kind" = config ]; then
            __mfaenv_file=${AWS_CONFIG_FILE:-$HOME/.aws/config}
        else
            __mfaenv_file=${AWS_SHARED_CREDENTIALS_FILE:-$HOME/.aws/credentials}
        fi
        [ -r "$__mfaenv_file" ] || continue
        while IFS=$' \t\r' read -r __mfaenv_line || [ -n "$__mfaenv_line" ]; do
            case "$__mfaenv_kind:$__mfaenv_line" in
                'config:[default]') printf '%s\n' default ;;
                'config:[profile '*']')
                    __mfaenv_line=${__mfaenv_line#\[profile }
                    __mfaenv_line=${__mfaenv_line%]}
                    printf '%s\n' "${__mfaenv_line// /}"
                    ;;
                'credentials:['*']')
                    __mfaenv_line=${__mfaenv_line#\[}
                    __mfaenv_line=${__mfaenv_line%]}
                    printf '%s\n' "${__mfaenv_line// /}"
                    ;;
            esac
        done <"$__mfaenv_file"
    done
}

__mfaenv_complete() {
    # __mfaenv_complete WORDS...: complete the current word from these words.
    local IFS=$' \t\n'
    mapfile -t COMPREPLY < <(compgen -W "$*" -- "${COMP_WORDS[COMP_CWORD]}")
}

_mfa() {
    local prev=${COMP_WORDS[COMP_CWORD - 1]}
    case "$prev" in
        --profile)
            __mfaenv_complete "$(__mfaenv_profiles | sort -u)"
            return
            ;;
        --duration)
            __mfaenv_complete 15m 1h 4h 8h 12h 36h
            return
            ;;
        --totp)
            __mfaenv_complete pass: file: command:
            compopt -o nospace 2>/dev/null
            return
            ;;
        --style)
            __mfaenv_complete strict self-service
            return
            ;;
        --store)
            __mfaenv_complete pass: file:
            compopt -o nospace 2>/dev/null
            return
            ;;
        --serial | --role | --name | --max-age) return ;;
    esac
    local options='--profile --duration --serial --totp --role --help'
    if ((COMP_CWORD == 1)); then
        case "${COMP_WORDS[1]}" in
            -*) __mfaenv_complete "$options" ;;
            *) __mfaenv_complete off status exec credential-process enroll rotate-key policy prompt sandbox init help version ;;
        esac
        return
    fi
    case "${COMP_WORDS[1]}" in
        exec | credential-process) __mfaenv_session_verb "$options" ;;
        enroll) __mfaenv_complete --profile --name --store --force ;;
        rotate-key) __mfaenv_complete --profile ;;
        policy) __mfaenv_complete --style --max-age ;;
        status) __mfaenv_complete --json ;;
        init) ((COMP_CWORD == 2)) && __mfaenv_complete bash zsh fish ;;
        sandbox) ((COMP_CWORD == 2)) && __mfaenv_complete start stop ;;
        off | prompt | help | version) ;;
        *) __mfaenv_complete "$options" ;;
    esac
}

# exec and credential-process: session options, then (exec) a command after --.
__mfaenv_session_verb() {
    local i
    for ((i = 2; i < COMP_CWORD; i++)); do
        if [ "${COMP_WORDS[i]}" = -- ]; then
            if ((i + 1 == COMP_CWORD)); then
                mapfile -t COMPREPLY < <(compgen -c -- "${COMP_WORDS[COMP_CWORD]}" | sort -u)
            fi
            return
        fi
    done
    __mfaenv_complete "$1 --"
}

_mfaenv() {
    local options='--profile --duration --serial --totp --role --help'
    case "${COMP_WORDS[COMP_CWORD - 1]}" in
        --profile | --duration | --totp | --serial | --role | --style | --store | --name | --max-age)
            _mfa
            return
            ;;
    esac
    if ((COMP_CWORD == 1)); then
        __mfaenv_complete init status exec credential-process enroll rotate-key policy prompt help version --help --version
        return
    fi
    case "${COMP_WORDS[1]}" in
        exec | credential-process) __mfaenv_session_verb "$options" ;;
        enroll | rotate-key | policy) _mfa ;;
        init) ((COMP_CWORD == 2)) && __mfaenv_complete bash zsh fish ;;
        status) __mfaenv_complete --json ;;
    esac
}

complete -F _mfa mfa
complete -F _mfaenv mfaenv
