# The part of the mfaenv shell integration that bash and zsh share word for word: the
# function mfa and what it calls, and the prompt hook with its checks. `mfaenv init
# bash|zsh` puts it where their files say so, with the shell's name. What differs stays in
# their files, as small functions these call: __mfaenv_clock (the time), __mfaenv_unexport
# (a variable the hooks keep stays in the shell) and __mfaenv_show (the segment as the
# prompt shows it); bash's also adds the hook to PROMPT_COMMAND, zsh's to precmd_functions.
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

# Prompt segment. Before each prompt, MFAENV_SEGMENT becomes "aws:PROFILE 11h42m" while
# this shell holds an MFA session, and empty otherwise; show it in the prompt, e.g.
#     PS1='${MFAENV_SEGMENT:+$MFAENV_SEGMENT }'"$PS1"                             (bash)
#     setopt PROMPT_SUBST; PROMPT='${MFAENV_SEGMENT:+$MFAENV_SEGMENT }'"$PROMPT"  (zsh)
# It is computed by the shell alone: no process is started per prompt. Settings:
# MFAENV_PROMPT_FORMAT (%p profile, %r :ROLE@ACCOUNT for a role, %t time left; default
# "aws:%p%r %t"), MFAENV_PROMPT_STYLE
# and MFAENV_PROMPT_WARN_STYLE (SGR codes such as "33" or "1;31"; warn default "31"),
# MFAENV_PROMPT_WARN (seconds left below which the warning style applies; default 900).
# NO_COLOR turns styles off. `__mfaenv_segment NOW` from the hook, which has checked
# MFAENV_EXPIRES and taken the time; without NOW (mfa_prompt), it does both itself.
__mfaenv_segment() {
    @EMULATE@
    \builtin local __mfaenv_now="${1-}" __mfaenv_left __mfaenv_text __mfaenv_style __mfaenv_warn
    if [[ -z $__mfaenv_now ]]; then
        MFAENV_SEGMENT=
        __mfaenv_is_time "${MFAENV_EXPIRES-}" || \builtin return 0
        __mfaenv_clock
    fi
    __mfaenv_left=$((MFAENV_EXPIRES - __mfaenv_now))
    if ((__mfaenv_left <= 0)); then
        __mfaenv_text=expired
    elif ((__mfaenv_left < 60)); then
        __mfaenv_text='<1m'
    elif ((__mfaenv_left < 3600)); then
        __mfaenv_text="$((__mfaenv_left / 60))m"
    else
        \builtin printf -v __mfaenv_text '%dh%02dm' $((__mfaenv_left / 3600)) $((__mfaenv_left % 3600 / 60))
    fi
    \builtin local __mfaenv_format="${MFAENV_PROMPT_FORMAT-aws:%p%r %t}"
    \builtin local __mfaenv_profile="${MFAENV_PROFILE-}" __mfaenv_role="${MFAENV_ROLE-}" __mfaenv_visible_text
    if [[ $__mfaenv_profile$__mfaenv_role == *[![:ascii:]]* ||
        $__mfaenv_profile$__mfaenv_role == *[[:cntrl:]]* ]]; then
        __mfaenv_visible "$__mfaenv_profile"
        __mfaenv_profile=$__mfaenv_visible_text
        __mfaenv_visible "$__mfaenv_role"
        __mfaenv_role=$__mfaenv_visible_text
    fi
    # Replacements quoted: bash 5.2's patsub_replacement would turn & into the match.
    __mfaenv_format=${__mfaenv_format//\%t/"$__mfaenv_text"}
    __mfaenv_format=${__mfaenv_format//\%r/"${__mfaenv_role:+:$__mfaenv_role}"}
    __mfaenv_text=${__mfaenv_format//\%p/"$__mfaenv_profile"}
    __mfaenv_warn=${MFAENV_PROMPT_WARN-900}
    __mfaenv_is_time "$__mfaenv_warn" || __mfaenv_warn=900
    __mfaenv_style=${MFAENV_PROMPT_STYLE-}
    if ((__mfaenv_left < __mfaenv_warn)); then __mfaenv_style=${MFAENV_PROMPT_WARN_STYLE-31}; fi
    [[ -z ${NO_COLOR-} ]] || __mfaenv_style=
    # Plain text without a style and a % (zsh's prompt escape) is shown as it is.
    MFAENV_SEGMENT=$__mfaenv_text
    [[ -z $__mfaenv_style && $__mfaenv_text != *%* ]] || __mfaenv_show "$__mfaenv_text" "$__mfaenv_style"
}

# For $(mfa_prompt) in a prompt: the same text, at the cost of one subshell.
mfa_prompt() {
    @EMULATE@
    __mfaenv_segment || \builtin true
    \builtin printf '%s' "$MFAENV_SEGMENT"
}

# Follow: a newer session of this shell's profile, made by any mfaenv (another terminal,
# credential-process, exec), is taken at the next prompt. mfa leaves the path of the
# profile's marker in __mfaenv_follow and the session held in __mfaenv_follow_gen; per
# prompt the shell reads the marker with `read` (no process), and runs mfaenv once when it
# names another session. The marker is compared, never evaluated. MFAENV_FOLLOW=0 stops it.
__mfaenv_follow_check() {
    @EMULATE@
    [[ -n ${__mfaenv_follow-} && -n ${MFAENV_PROFILE-} ]] || \builtin return 0
    [[ ${MFAENV_FOLLOW-} != 0 ]] || \builtin return 0
    [[ -f $__mfaenv_follow && ! -h $__mfaenv_follow && -O $__mfaenv_follow ]] || \builtin return 0
    \builtin local __mfaenv_gen='' __mfaenv_held="${__mfaenv_follow_gen-}"
    IFS= \builtin read -r __mfaenv_gen <"$__mfaenv_follow" 2>/dev/null || \builtin true
    [[ -n $__mfaenv_gen && $__mfaenv_gen != "$__mfaenv_held" ]] || \builtin return 0
    # Remembered first, so a session that cannot be followed costs one process, not one a prompt.
    __mfaenv_follow_gen=$__mfaenv_gen
    __mfaenv_unexport __mfaenv_follow_gen
    __mfaenv_eval sh-follow --shell @SHELL@ "$__mfaenv_follow" "$__mfaenv_held" || \builtin true
}

# The session follows the profile the shell is in: when AWS_PROFILE or direnv's
# DIRENV_DIFF is no longer what mfa left (direnv on cd, mise, an export by hand), mfaenv
# runs once, with what they were, and gives the shell that profile's cached session or
# puts the session away (mfaenv.profilefollow). Two builtin comparisons per prompt.
__mfaenv_profile_check() {
    @EMULATE@
    [[ -n ${MFAENV_PROFILE-} && -n ${__mfaenv_stash-} ]] || \builtin return 0
    \builtin local __mfaenv_now="${AWS_PROFILE+=}${AWS_PROFILE-}|${DIRENV_DIFF-}"
    \builtin local __mfaenv_held="${__mfaenv_profile_seen-}" __mfaenv_code
    [[ $__mfaenv_now != "$__mfaenv_held" ]] || \builtin return 0
    # Remembered first, so a change that cannot be followed costs one process, not one a prompt.
    __mfaenv_profile_seen=$__mfaenv_now
    __mfaenv_unexport __mfaenv_profile_seen
    __mfaenv_code="$(__MFAENV_STASH="${__mfaenv_stash-}" __MFAENV_HELD="$__mfaenv_held" \
        @MFAENV@ sh-profile --shell @SHELL@)" || \builtin return 0
    \builtin eval "$__mfaenv_code"
}

# At its end, without a newer session to follow, the shell says so once (not at every
# prompt): a builtin comparison of MFAENV_EXPIRES with the time, no process.
# `__mfaenv_ended_check NOW`, from the hook, which has checked MFAENV_EXPIRES.
__mfaenv_ended_check() {
    @EMULATE@
    [[ ${__mfaenv_ended-} != "$MFAENV_EXPIRES" ]] && ((MFAENV_EXPIRES <= $1)) || \builtin return 0
    __mfaenv_ended=$MFAENV_EXPIRES
    __mfaenv_unexport __mfaenv_ended
    \builtin printf 'mfaenv: the MFA session for %s has ended: mfa CODE\n' "${MFAENV_PROFILE-}" >&2
}

# Renewal: with less than MFAENV_RENEW_MARGIN seconds left (default 900), the hook starts
# `mfaenv sh-renew` once for this session, in the background (a subshell's job: no
# job-control message; never asks on the terminal). With a TOTP source it makes a new
# session under the refresh lock, which every following shell picks up; a failure is
# written to a report file that is printed once, at a later prompt. No process otherwise.
# `__mfaenv_renew_check NOW`, from the hook, which has checked MFAENV_EXPIRES.
__mfaenv_renew_check() {
    @EMULATE@
    [[ -n ${__mfaenv_follow-} && ${MFAENV_FOLLOW-} != 0 ]] || \builtin return 0
    [[ ${__mfaenv_renewing-} != "$MFAENV_EXPIRES" ]] || \builtin return 0
    \builtin local __mfaenv_margin="${MFAENV_RENEW_MARGIN-900}"
    __mfaenv_is_time "$__mfaenv_margin" || __mfaenv_margin=900
    ((MFAENV_EXPIRES > $1 && MFAENV_EXPIRES - $1 < __mfaenv_margin)) || \builtin return 0
    __mfaenv_renewing=$MFAENV_EXPIRES
    __mfaenv_renew_report="$__mfaenv_follow.$$.$MFAENV_EXPIRES.err"
    __mfaenv_unexport __mfaenv_renewing __mfaenv_renew_report
    (__MFAENV_STASH="${__mfaenv_stash-}" MFAENV_NO_PROMPT=1 @MFAENV@ sh-renew --shell @SHELL@ \
        "$__mfaenv_follow" "$__mfaenv_renew_report" "$__mfaenv_margin" </dev/null >/dev/null 2>&1 &)
}

# The report of a renewal that failed, said once.
__mfaenv_renew_failed() {
    @EMULATE@
    [[ -f $__mfaenv_renew_report && ! -h $__mfaenv_renew_report && -O $__mfaenv_renew_report ]] ||
        \builtin return 0
    \builtin local __mfaenv_line=''
    IFS= \builtin read -r __mfaenv_line <"$__mfaenv_renew_report" || \builtin true
    \builtin printf 'mfaenv: %s\n' "$__mfaenv_line" >&2
    \builtin unset __mfaenv_renew_report
}

# Before each prompt. Each check uses builtins only and returns 0 whatever it finds, so
# that errexit cannot end the shell; those of a session run only while MFAENV_EXPIRES is a
# time, with the clock read once. bash gets the status of the user's last command back
# for the prompt ($? in PS1), except under set -e, where a non-zero one would end the
# shell; in zsh $? is emulate's (0) here, and zsh gives the prompt its %? by itself.
# One more check of the same kind (a comparison of two variables) costs microseconds.
__mfaenv_prompt_hook() {
    @EMULATE@
    \builtin local __mfaenv_status=$? __mfaenv_now=
    __mfaenv_profile_check || \builtin true
    __mfaenv_follow_check || \builtin true
    [[ -z ${__mfaenv_renew_report-} ]] || __mfaenv_renew_failed || \builtin true
    if __mfaenv_is_time "${MFAENV_EXPIRES-}"; then
        # zsh and bash 5 have $EPOCHSECONDS: a function call less at each prompt.
        __mfaenv_now=${EPOCHSECONDS-}
        case $__mfaenv_now in '' | *[!0-9]*) __mfaenv_clock ;; esac
        __mfaenv_renew_check "$__mfaenv_now" || \builtin true
        __mfaenv_ended_check "$__mfaenv_now" || \builtin true
        __mfaenv_segment "$__mfaenv_now" || \builtin true
    else
        MFAENV_SEGMENT=
    fi
    case $- in *e*) \builtin return 0 ;; esac
    \builtin return "$__mfaenv_status"
}
