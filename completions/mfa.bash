# bash completion for mfa and mfaenv (bash 4.4 or newer). `mfaenv init bash` loads it; to
# install it on its own, copy it to ~/.local/share/bash-completion/completions/mfa (and link
# it as mfaenv). Builtins only: no process starts on a tab, not even a subshell.

# __mfaenv_verbs COMMAND: complete the verbs of mfa or mfaenv. The one list of them: mfaenv
# has all but off and sandbox, which change the shell and so only the shell function runs.
__mfaenv_verbs() {
    local verb
    local -a verbs=()
    for verb in off status exec credential-process enroll rotate-key unsave keys policy \
        console prompt sandbox init help version; do
        case $1:$verb in
            mfaenv:off | mfaenv:sandbox) ;;
            *) verbs+=("$verb") ;;
        esac
    done
    __mfaenv_complete "${verbs[@]}"
}

# __mfaenv_complete WORD...: COMPREPLY becomes the words that start with the word at the cursor.
__mfaenv_complete() {
    local word
    COMPREPLY=()
    for word; do
        case $word in "$cur"*) COMPREPLY+=("$word") ;; esac
    done
}

# __mfaenv_profiles: COMPREPLY becomes the profile names that start with the word at the
# cursor, each once: [default] and [profile NAME] of the AWS config file, [NAME] of the
# credentials file; a name with a space is not one word, and is left out. Whole-array
# expansions do the work on every line in C, and the one loop runs over the names alone:
# 1,000 profiles take milliseconds, not the tenth of a second that reading lines took.
# shellcheck disable=SC2068,SC2206 # the unquoted expansions split on purpose
__mfaenv_profiles() {
    local - IFS=$'\n' file name
    local -a lines names=()
    local -A seen=()
    set -f # the unquoted expansions below split on IFS, and must not expand globs
    file=${AWS_CONFIG_FILE:-$HOME/.aws/config}
    if [[ -f $file && -r $file ]]; then
        mapfile -t lines <"$file"
        # The lines that start with [: the others become empty, and vanish unquoted.
        lines=(${lines[@]/#[!\[]*/})
        if [[ $'\n'"${lines[*]}" == *$'\n[default]'* ]]; then names=(default); fi
        # A tab marks the NAME of [profile NAME]; [sso-session corp] and the like vanish.
        lines=("${lines[@]/#\[profile[[:blank:]]/$'\t'}")
        names+=(${lines[@]/#[!$'\t']*/})
    fi
    file=${AWS_SHARED_CREDENTIALS_FILE:-$HOME/.aws/credentials}
    if [[ -f $file && -r $file ]]; then
        mapfile -t lines <"$file"
        lines=(${lines[@]/#[!\[]*/})
        names+=("${lines[@]/#\[/$'\t'}")
    fi
    # Each name ends at its ]; the split on tabs as well drops the marks.
    IFS=$'\t\n'
    for name in ${names[@]%%]*}; do
        case $name in
            *' '*) ;;
            "$cur"*) seen[$name]= ;;
        esac
    done
    COMPREPLY=("${!seen[@]}")
}

# exec and credential-process: the session options; exec runs the command after --.
__mfaenv_session_verb() {
    local i
    for ((i = 2; i < COMP_CWORD; i++)); do
        if [[ ${COMP_WORDS[i]} == -- ]]; then
            if ((i + 1 == COMP_CWORD)); then __mfaenv_commands; fi
            return
        fi
    done
    if [[ $verb == exec ]]; then
        __mfaenv_complete "${session[@]}" --server --listen --
    else
        __mfaenv_complete "${session[@]}"
    fi
}

# __mfaenv_commands: COMPREPLY becomes the programs in PATH that start with the word at the
# cursor: what `mfa exec --` can run, as it runs no alias, function or builtin. A word with a
# slash is left to bash's own file name completion.
__mfaenv_commands() {
    local - IFS=: dir file failglob=
    local -a dirs
    local -A found=()
    COMPREPLY=()
    if [[ $cur == */* ]]; then
        compopt -o default 2>/dev/null
        return
    fi
    set -f
    # shellcheck disable=SC2206 # split on the colons, globs off
    dirs=($PATH)
    set +f
    if shopt -q failglob; then failglob=1 && shopt -u failglob; fi
    for dir in "${dirs[@]}"; do
        for file in "${dir:-.}/$cur"*; do
            if [[ -f $file && -x $file ]]; then found[${file##*/}]=; fi
        done
    done
    if [[ -n $failglob ]]; then shopt -s failglob; fi
    COMPREPLY=("${!found[@]}")
}

# Called by bash as: _mfa COMMAND WORD PREVIOUS-WORD, for mfa and mfaenv alike.
_mfa() {
    local cur=${2-} prev=${3-} command=${1##*/} verb=${COMP_WORDS[1]-}
    local -a session=(--profile --duration --serial --totp --role --save-as)
    COMPREPLY=()
    case $prev in
        --profile)
            __mfaenv_profiles
            return
            ;;
        --duration)
            if [[ $verb == console ]]; then
                __mfaenv_complete 15m 1h 4h 8h 12h
            else
                __mfaenv_complete 15m 1h 4h 8h 12h 36h
            fi
            return
            ;;
        --totp)
            __mfaenv_complete pass: file: command:
            compopt -o nospace 2>/dev/null
            return
            ;;
        --store)
            if [[ $verb == keys ]]; then
                __mfaenv_complete pass: keyring
            else
                __mfaenv_complete pass: file:
            fi
            # pass:ENTRY and file:PATH go on; keyring is a whole word
            if [[ ${COMPREPLY[0]-} == *: ]]; then compopt -o nospace 2>/dev/null; fi
            return
            ;;
        --style)
            __mfaenv_complete strict self-service
            return
            ;;
        --max-age)
            __mfaenv_complete 1h 8h 12h
            return
            ;;
        --serial | --role | --save-as | --name | --destination | --service | --open-with | --listen)
            return
            ;;
    esac
    if ((COMP_CWORD == 1)); then
        case $command:$cur in
            mfaenv:-*) __mfaenv_complete --help --version ;;
            *:-*) __mfaenv_complete "${session[@]}" --help ;;
            *) __mfaenv_verbs "$command" ;;
        esac
        return
    fi
    case $verb in
        exec | credential-process) __mfaenv_session_verb ;;
        status) __mfaenv_complete --json --all --profile ;;
        enroll) __mfaenv_complete --profile --name --store --force ;;
        rotate-key) __mfaenv_complete --profile ;;
        unsave) if ((COMP_CWORD == 2)); then __mfaenv_profiles; fi ;;
        keys)
            if ((COMP_CWORD == 2)) && [[ $cur != -* ]]; then
                __mfaenv_complete import
            else
                __mfaenv_complete --profile --store
            fi
            ;;
        policy) __mfaenv_complete --style --max-age ;;
        console)
            __mfaenv_complete --profile --role --totp --duration --destination --service --print \
                --open-with
            ;;
        init) if ((COMP_CWORD == 2)); then __mfaenv_complete bash zsh fish; fi ;;
        sandbox) if ((COMP_CWORD == 2)); then __mfaenv_complete start stop; fi ;;
        help) if ((COMP_CWORD == 2)); then __mfaenv_verbs "$command"; fi ;;
        off | prompt | version) ;;
        *) if [[ $command == mfa ]]; then __mfaenv_complete "${session[@]}" --help; fi ;;
    esac
}

complete -F _mfa mfa mfaenv
