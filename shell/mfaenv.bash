# mfaenv shell integration for bash. Load it with:  eval "$(mfaenv init bash)"
# `mfa` runs mfaenv; it evals only what the sh-* commands print, and only when they succeed.
# Bash 3.2 (macOS's /bin/bash) and newer, under any options the user has set.

# Here mfaenv init puts shell/mfaenv.sh, shared with zsh: the function mfa, what it calls,
# and the prompt hook with its checks, which call the three functions below.
@POSIX@

# The time, into __mfaenv_now (a local of the caller), without a process, where bash has
# no $EPOCHSECONDS (before 5; the hook reads that itself): printf's %(%s)T (bash 4.2);
# bash 3.2 has neither, but has $SECONDS, which counts the seconds of the same clock since
# the shell started: the time is then the epoch at SECONDS=0 plus SECONDS. That epoch is
# set by __mfaenv_set_epoch when this file is loaded, and again should the user set
# SECONDS back.
__mfaenv_clock() {
    if ((BASH_VERSINFO[0] * 100 + BASH_VERSINFO[1] >= 402)); then
        \builtin printf -v __mfaenv_now '%(%s)T' -1
    else
        ((SECONDS >= __mfaenv_seconds)) || __mfaenv_set_epoch ''
        __mfaenv_seconds=$SECONDS
        \builtin export -n __mfaenv_seconds
        __mfaenv_now=$((__mfaenv_epoch + SECONDS))
    fi
}

# The epoch at SECONDS=0 for bash 3.2's clock, from the time $1 (filled in by mfaenv init
# when its output is evaluated at once), or, when $1 is empty, from one `date` (rendered
# into a file: when it is sourced; after SECONDS was set back: at the next prompt).
__mfaenv_set_epoch() {
    \builtin local __mfaenv_time="${1-}"
    if ! __mfaenv_is_time "$__mfaenv_time"; then
        __mfaenv_time=$(\builtin command date +%s 2>/dev/null) || \builtin true
        __mfaenv_is_time "$__mfaenv_time" || __mfaenv_time=0
    fi
    __mfaenv_epoch=$((__mfaenv_time - SECONDS))
    __mfaenv_seconds=$SECONDS
    \builtin export -n __mfaenv_epoch __mfaenv_seconds
}
if ((BASH_VERSINFO[0] * 100 + BASH_VERSINFO[1] < 402)); then
    __mfaenv_set_epoch "@EPOCH@"
fi

# Shell variables the hooks keep stay in the shell: set -a would export them.
__mfaenv_unexport() {
    # shellcheck disable=SC2163 # the names are the arguments
    \builtin export -n "$@"
}

# The segment $1 as PS1 shows it, in the SGR style $2 if any: \001 and \002 tell readline
# the escape sequences take no room on the line.
__mfaenv_show() {
    MFAENV_SEGMENT=$1
    [[ -z $2 ]] || MFAENV_SEGMENT=$'\001\e['"$2"$'m\002'"$1"$'\001\e[0m\002'
}

# The profile check once more at the end of PROMPT_COMMAND: a direnv hook loaded before
# this file runs after the hook above, and what it sets is seen at this prompt, not the next.
__mfaenv_profile_late() {
    \builtin local __mfaenv_status=$? __mfaenv_before="${__mfaenv_profile_seen-}"
    __mfaenv_profile_check || \builtin true
    [[ ${__mfaenv_profile_seen-} == "$__mfaenv_before" ]] || __mfaenv_segment || \builtin true
    case $- in *e*) \builtin return 0 ;; esac
    \builtin return "$__mfaenv_status"
}

# Run the hook first and the late check last, once, in the string or the array (bash 5.1)
# form of PROMPT_COMMAND.
__mfaenv_add_hook() {
    \builtin local __mfaenv_command
    for __mfaenv_command in ${PROMPT_COMMAND[@]+"${PROMPT_COMMAND[@]}"}; do
        case ";$__mfaenv_command;" in *";__mfaenv_prompt_hook;"*) \builtin return 0 ;; esac
    done
    if [[ "$(\builtin declare -p PROMPT_COMMAND 2>/dev/null)" == "declare -a"* ]]; then
        PROMPT_COMMAND=(__mfaenv_prompt_hook "${PROMPT_COMMAND[@]}" __mfaenv_profile_late)
    else
        # shellcheck disable=SC2128,SC2178 # here PROMPT_COMMAND is a string
        PROMPT_COMMAND="__mfaenv_prompt_hook${PROMPT_COMMAND:+;$PROMPT_COMMAND};__mfaenv_profile_late"
    fi
}
__mfaenv_add_hook
