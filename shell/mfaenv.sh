# The part of the mfaenv shell integration that bash and zsh share word for word;
# `mfaenv init bash|zsh` puts it where their files say so, with the shell's name.
#
# Whatever the user has set, it runs as the shell's defaults would: in zsh every function
# starts with `emulate -L zsh` (mfaenv init puts it on the first line of each; bash has no
# such thing, so its code depends on no option); every builtin is called as `\builtin NAME`
# and a command as `\builtin command NAME` (bash), so that no alias or function of the user
# named unset, export, printf, local... takes their place; no simple command may fail,
# so that errexit cannot end the shell; empty arrays are expanded as ${a[@]+"${a[@]}"},
# for nounset in bash before 4.4.

# An alias of the same name (aws-mfa and awsume users often have one) would break the
# definition below: the function takes its place.
\builtin unalias mfa 2>/dev/null || \builtin true

# The stash of replaced keys stays a shell variable; mfaenv sees it for one call at a time.
__mfaenv_run() {
    @EMULATE@
    __MFAENV_STASH="${__mfaenv_stash-}" @MFAENV@ "$@"
}

# mfa off and the prompt hooks also hand over what AWS_PROFILE and DIRENV_DIFF were when mfa
# last changed the shell (mfaenv.profilefollow).
__mfaenv_eval() {
    @EMULATE@
    \builtin local __mfaenv_code
    __mfaenv_code="$(__MFAENV_STASH="${__mfaenv_stash-}" __MFAENV_HELD="${__mfaenv_profile_seen-}" \
        @MFAENV@ "$@")" || \builtin return
    \builtin eval "$__mfaenv_code"
}

# `mfa [OPTIONS] CODE [OPTIONS]`: the code reaches mfaenv in the environment of this one
# call, not in its arguments, which every user may read (/proc/PID/cmdline), wherever it
# is among them. So does every other word that is neither an option nor the value of one
# (every option of a session but -h/--help takes a value; after --, no word is an option),
# one per line: a second code, or a word typed before the code, is refused by mfaenv
# without either being in argv. Locals, so that they are gone afterwards even in POSIX
# mode; the ones set -a would export are unset before mfaenv runs.
__mfaenv_on() {
    @EMULATE@
    \builtin local -x __MFAENV_CODE=
    \builtin local -a __mfaenv_words
    \builtin local __mfaenv_word __mfaenv_after=
    __mfaenv_words=()
    for __mfaenv_word in "$@"; do
        case $__mfaenv_after/$__mfaenv_word in
            value/*) __mfaenv_after= ;;
            /--) __mfaenv_after=end ;;
            /-h | /--help | /-*=* | /- | */) ;;
            /-*) __mfaenv_after=value ;;
            *)
                __MFAENV_CODE=$__MFAENV_CODE${__MFAENV_CODE:+$'\n'}$__mfaenv_word
                \builtin continue ;;
        esac
        __mfaenv_words+=("$__mfaenv_word")
    done
    \builtin unset __mfaenv_word __mfaenv_after
    __mfaenv_eval sh-on --shell @SHELL@ ${__mfaenv_words[@]+"${__mfaenv_words[@]}"}
}

function mfa {
    @EMULATE@
    case "${1-}" in
        @PASSTHROUGH@)
            __mfaenv_run "$@" ;;
        @EVAL_VERBS@)
            \builtin local __mfaenv_verb="$1"
            \builtin shift
            __mfaenv_eval "sh-$__mfaenv_verb" --shell @SHELL@ "$@" ;;
        *)
            __mfaenv_on "$@" ;;
    esac
}

# A name's control and invisible characters as \\xNN or \\uNNNN, as `mfa status` shows
# them: a profile named $'\\e]0;x\\a' must not retitle the terminal at every prompt, nor
# one with U+202E read backwards. Into __mfaenv_visible_text; no process, and it runs only
# for a name that is not plain printable ASCII.
__mfaenv_visible() {
    @EMULATE@
    \builtin local __mfaenv_rest="$1" __mfaenv_head __mfaenv_hex __mfaenv_pair
    __mfaenv_visible_text=
    # First the characters of mfaenv.printable.INVISIBLE (their class and CHAR=ESCAPE pairs
    # are filled in by mfaenv init), where the name has any.
    if [[ $__mfaenv_rest == *[@INVISIBLE_CLASS@]* ]]; then
        for __mfaenv_pair in @INVISIBLE@; do
            [[ $__mfaenv_rest == *"${__mfaenv_pair%%=*}"* ]] || \builtin continue
            __mfaenv_rest=${__mfaenv_rest//"${__mfaenv_pair%%=*}"/"${__mfaenv_pair#*=}"}
        done
    fi
    while [[ $__mfaenv_rest == *[[:cntrl:]]* ]]; do
        __mfaenv_head=${__mfaenv_rest%%[[:cntrl:]]*}
        __mfaenv_rest=${__mfaenv_rest:${#__mfaenv_head}}
        \builtin printf -v __mfaenv_hex '\\x%02x' "'${__mfaenv_rest:0:1}"
        __mfaenv_visible_text=$__mfaenv_visible_text$__mfaenv_head$__mfaenv_hex
        __mfaenv_rest=${__mfaenv_rest:1}
    done
    __mfaenv_visible_text=$__mfaenv_visible_text$__mfaenv_rest
}

# Whether $1 is a time mfaenv set (whole seconds since 1970, at most 12 digits): anything
# else in MFAENV_EXPIRES is no session, never an error at the prompt.
__mfaenv_is_time() {
    @EMULATE@
    case $1 in
        '' | *[!0-9]*) \builtin return 1 ;;
    esac
    [[ ${#1} -le 12 ]]
}
