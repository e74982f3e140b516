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
        --serial) return ;;
    esac
    local options='--profile --duration --serial --help'
    if ((COMP_CWORD == 1)); then
        case "${COMP_WORDS[1]}" in
            -*) __mfaenv_complete "$options" ;;
            *) __mfaenv_complete off status prompt sandbox init help version ;;
        esac
        return
    fi
    case "${COMP_WORDS[1]}" in
        status) __mfaenv_complete --json ;;
        init) ((COMP_CWORD == 2)) && __mfaenv_complete bash zsh fish ;;
        sandbox) ((COMP_CWORD == 2)) && __mfaenv_complete start stop ;;
        off | prompt | help | version) ;;
        *) __mfaenv_complete "$options" ;;
    esac
}

_mfaenv() {
    if ((COMP_CWORD == 1)); then
        __mfaenv_complete init status prompt help version --help --version
        return
    fi
    case "${COMP_WORDS[1]}" in
        init) ((COMP_CWORD == 2)) && __mfaenv_complete bash zsh fish ;;
        status) __mfaenv_complete --json ;;
    esac
}

complete -F _mfa mfa
complete -F _mfaenv mfaenv
