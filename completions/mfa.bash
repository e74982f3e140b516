# bash completion for mfa and mfaenv (bash 3.2 or newer). `mfaenv init bash` loads it; to
# install it on its own: python -m mfaenv.completion bash >
# ~/.local/share/bash-completion/completions/mfa (and link it as mfaenv). Builtins only: no process starts on a tab, not even a subshell. As in the
# integration, every builtin is called as `\builtin NAME`, and nothing depends on the
# user's options (set -u, set -e, set -f, failglob, nullglob...). bash 3.2 has no
# `compopt`: there, a completed `pass:` is followed by a space.

# The words of this file between @ signs are filled in by `mfaenv init bash` from mfaenv's
# table of verbs (mfaenv/verbs.py); `python -m mfaenv.completion bash` prints it filled in.

# __mfaenv_verbs COMMAND: complete the verbs of mfa or mfaenv. mfaenv has all but those that
# change the shell, which only the shell function runs.
__mfaenv_verbs() {
    \builtin local verb
    \builtin local -a verbs
    verbs=()
    for verb in @VERBS@; do
        case $1:$verb in
            @SHELL_ONLY@) ;;
            *) verbs[${#verbs[@]}]=$verb ;;
        esac
    done
    __mfaenv_complete "${verbs[@]}"
}

# __mfaenv_complete WORD...: COMPREPLY becomes the words that start with the word at the cursor.
__mfaenv_complete() {
    \builtin local word
    COMPREPLY=()
    for word in "$@"; do
        case $word in "$cur"*) COMPREPLY[${#COMPREPLY[@]}]=$word ;; esac
    done
}

# __mfaenv_nospace: no space after the completed word, where bash can say so (4.0 or newer).
__mfaenv_nospace() {
    if ((BASH_VERSINFO[0] >= 4)); then \builtin compopt -o "${1:-nospace}" 2>/dev/null || \builtin true; fi
    \builtin return 0
}

# __mfaenv_lines FILE: the array lines becomes the lines of FILE, those that do not start
# with [ emptied: one read of the whole file and one expansion done in C, no loop over the
# file's lines, and no mapfile, which bash 3.2 lacks. (The expansion quoted, and with IFS
# as bash sets it: bash 3.2 joins "${a[@]/x/y}" into one word when IFS does not start
# with a space.)
__mfaenv_lines() {
    \builtin local IFS=$'\n' noglob=''
    lines=()
    [[ -f $1 && -r $1 ]] || \builtin return 0
    if ((BASH_VERSINFO[0] >= 4)); then
        \builtin mapfile -t lines <"$1" # three times faster than read, from bash 4.0 on
    else
        \builtin read -r -d '' -a lines <"$1" || \builtin true
    fi
    IFS=$' \t\n'
    ((${#lines[@]})) || \builtin return 0
    lines=("${lines[@]/#[!\[]*/}")
    # The other lines are empty now; unquoted, split on newlines alone and with no globbing
    # (a [section] is a bracket pattern), they vanish, so the loop sees only sections.
    IFS=$'\n'
    case $- in *f*) noglob=1 ;; *) \builtin set -f ;; esac
    # shellcheck disable=SC2206 # split on purpose
    lines=(${lines[@]})
    if [[ -z $noglob ]]; then \builtin set +f; fi
}

# __mfaenv_profiles: COMPREPLY becomes the profile names that start with the word at the
# cursor, each once: [default] and [profile NAME] of the AWS config file, [NAME] of the
# credentials file; a name with a blank is not one word, and is left out. The one loop
# runs over section lines: 1,000 profiles take milliseconds. Names seen are kept in an
# associative array where bash has one (4.0 on); bash 3.2 looks them up in a string,
# whose time grows with the square of their number.
__mfaenv_profiles() {
    \builtin local line name seen=$'\n' credentials='' hashed=''
    \builtin local -a lines
    if ((BASH_VERSINFO[0] >= 4)); then
        hashed=1
        \builtin local -A __mfaenv_seen
    fi
    COMPREPLY=()
    __mfaenv_lines "${AWS_CONFIG_FILE:-$HOME/.aws/config}"
    for credentials in '' 1; do
        if [[ -n $credentials ]]; then
            __mfaenv_lines "${AWS_SHARED_CREDENTIALS_FILE:-$HOME/.aws/credentials}"
        fi
        # (Tested for elements first: set -u in bash before 4.4 takes an empty array for
        # an unset variable.)
        ((${#lines[@]})) || \builtin continue
        for line in "${lines[@]}"; do
            case $credentials$line in
                '[default]'*) name=default ;;
                '[profile'[[:blank:]]*) name=${line#\[profile?} ;;
                '1['*) name=${line#\[} ;;
                *) \builtin continue ;;
            esac
            name=${name%%]*}
            case $name in '' | *[[:space:]]*) \builtin continue ;; "$cur"*) ;; *) \builtin continue ;; esac
            if [[ -n $hashed ]]; then
                __mfaenv_seen[x$name]=$name # COMPREPLY is made of them at the end
                \builtin continue
            else
                case $seen in *$'\n'"$name"$'\n'*) \builtin continue ;; esac
                seen=$seen$name$'\n'
            fi
            COMPREPLY[${#COMPREPLY[@]}]=$name
        done
    done
    if [[ -n $hashed ]] && ((${#__mfaenv_seen[@]})); then COMPREPLY=("${__mfaenv_seen[@]}"); fi
}

# __mfaenv_rest_verb OPTION...: a verb that runs a command after -- (exec): its options
# before the --, the programs in PATH right after it.
__mfaenv_rest_verb() {
    \builtin local i
    for ((i = 2; i < COMP_CWORD; i++)); do
        if [[ ${COMP_WORDS[i]} == -- ]]; then
            if ((i + 1 == COMP_CWORD)); then __mfaenv_commands; fi
            \builtin return 0
        fi
    done
    __mfaenv_complete "$@"
}

# __mfaenv_commands: COMPREPLY becomes the programs in PATH that start with the word at the
# cursor: what `mfa exec --` can run, as it runs no alias, function or builtin. A word with a
# slash is left to bash's own file name completion.
__mfaenv_commands() {
    \builtin local IFS=: dir file seen=$'\n' noglob='' failglob='' nullglob=''
    \builtin local -a dirs
    COMPREPLY=()
    if [[ $cur == */* ]]; then
        __mfaenv_nospace default
        \builtin return 0
    fi
    case $- in *f*) noglob=1 ;; *) \builtin set -f ;; esac
    # shellcheck disable=SC2206 # split on the colons, globs off
    dirs=($PATH)
    \builtin set +f
    # A pattern that matches nothing stays as it is, and fails the -f test below.
    if \builtin shopt -q failglob; then failglob=1 && \builtin shopt -u failglob; fi
    if \builtin shopt -q nullglob; then nullglob=1 && \builtin shopt -u nullglob; fi
    for dir in ${dirs[@]+"${dirs[@]}"}; do
        for file in "${dir:-.}/$cur"*; do
            [[ -f $file && -x $file ]] || \builtin continue
            file=${file##*/}
            case $seen in *$'\n'"$file"$'\n'*) \builtin continue ;; esac
            seen=$seen$file$'\n'
            COMPREPLY[${#COMPREPLY[@]}]=$file
        done
    done
    if [[ -n $failglob ]]; then \builtin shopt -s failglob; fi
    if [[ -n $nullglob ]]; then \builtin shopt -s nullglob; fi
    if [[ -n $noglob ]]; then \builtin set -f; fi
}

# Called by bash as: _mfa COMMAND WORD PREVIOUS-WORD, for mfa and mfaenv alike.
_mfa() {
    \builtin local cur="${2-}" prev="${3-}" command="${1##*/}" verb="${COMP_WORDS[1]-}"
    \builtin local -a session
    session=(@SESSION@)
    COMPREPLY=()
    # The value of an option; `mfa CODE --profile` has no verb, and gets the session's.
    case $verb:$prev in
        @VALUE_ARMS@
    esac
    if ((COMP_CWORD == 1)); then
        case $command:$cur in
            mfaenv:-*) __mfaenv_complete --help --version ;;
            *:-*) __mfaenv_complete "${session[@]}" --help ;;
            *) __mfaenv_verbs "$command" ;;
        esac
        \builtin return 0
    fi
    case $verb in
        @VERB_ARMS@
        *) if [[ $command == mfa ]]; then __mfaenv_complete "${session[@]}" --help; fi ;;
    esac
}

\builtin complete -F _mfa mfa mfaenv
