# mfaenv shell integration for bash. Load it with:  eval "$(mfaenv init bash)"
# `mfa` runs mfaenv; it evals only what the sh-* commands print, and only when they succeed.
# Bash 3.2 (macOS's /bin/bash) and newer, under any options the user has set.

# Here mfaenv init puts shell/mfaenv.sh, shared with zsh: the function mfa, what it calls,
# and __mfaenv_visible for the prompt segment.
@POSIX@

# The time, into __mfaenv_now, without a process: $EPOCHSECONDS (bash 5), printf's %(%s)T
# (bash 4.2); bash 3.2 has neither, but has $SECONDS, which counts the seconds of the same
# clock since the shell started: the time is then the epoch at SECONDS=0, known when this
# file is loaded (filled in by mfaenv init; rendered into a file, it costs one `date` then),
# plus SECONDS. Should the user set SECONDS back, one `date` takes the epoch again.
if [[ -n ${EPOCHSECONDS-} ]]; then
    __mfaenv_clock_kind=epochseconds
elif ((BASH_VERSINFO[0] > 4 || (BASH_VERSINFO[0] == 4 && BASH_VERSINFO[1] >= 2))); then
    __mfaenv_clock_kind=strftime
else
    __mfaenv_clock_kind=seconds
    __mfaenv_epoch=@EPOCH@
    if ! __mfaenv_is_time "$__mfaenv_epoch"; then
        __mfaenv_epoch=$(\builtin command date +%s 2>/dev/null) || __mfaenv_epoch=0
    fi
    __mfaenv_is_time "$__mfaenv_epoch" || __mfaenv_epoch=0
    __mfaenv_epoch=$((__mfaenv_epoch - SECONDS))
    __mfaenv_seconds=$SECONDS
    \builtin export -n __mfaenv_epoch __mfaenv_seconds
fi
\builtin export -n __mfaenv_clock_kind

__mfaenv_clock() {
    case $__mfaenv_clock_kind in
        epochseconds) __mfaenv_now=$EPOCHSECONDS ;;
        strftime) \builtin printf -v __mfaenv_now '%(%s)T' -1 ;;
        *)
            if ((SECONDS < __mfaenv_seconds)); then
                __mfaenv_now=$(\builtin command date +%s 2>/dev/null) || __mfaenv_now=0
                __mfaenv_is_time "$__mfaenv_now" || __mfaenv_now=0
                __mfaenv_epoch=$((__mfaenv_now - SECONDS))
            fi
            __mfaenv_seconds=$SECONDS
            __mfaenv_now=$((__mfaenv_epoch + SECONDS))
            ;;
    esac
    __mfaenv_is_time "$__mfaenv_now" || __mfaenv_now=0
}

# Prompt segment. Before each prompt, MFAENV_SEGMENT becomes "aws:PROFILE 11h42m" while
# this shell holds an MFA session, and empty otherwise; show it in PS1, for example
#     PS1='${MFAENV_SEGMENT:+$MFAENV_SEGMENT }'"$PS1"
# It is computed by bash alone: no process is started per prompt. Settings:
# MFAENV_PROMPT_FORMAT (%p profile, %r :ROLE@ACCOUNT for a role, %t time left; default
# "aws:%p%r %t"), MFAENV_PROMPT_STYLE
# and MFAENV_PROMPT_WARN_STYLE (SGR codes such as "33" or "1;31"; warn default "31"),
# MFAENV_PROMPT_WARN (seconds left below which the warning style applies; default 900).
# NO_COLOR turns styles off.
__mfaenv_segment() {
    MFAENV_SEGMENT=
    __mfaenv_is_time "${MFAENV_EXPIRES-}" || \builtin return 0
    \builtin local __mfaenv_now __mfaenv_left __mfaenv_text __mfaenv_style __mfaenv_warn
    __mfaenv_clock
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
    if [[ -n $__mfaenv_style && -z ${NO_COLOR-} ]]; then
        # \001 and \002 tell readline the escape sequences take no room on the line.
        __mfaenv_text=$'\001\e['"${__mfaenv_style}"$'m\002'"${__mfaenv_text}"$'\001\e[0m\002'
    fi
    MFAENV_SEGMENT=$__mfaenv_text
}

# Follow: a newer session of this shell's profile, made by any mfaenv (another terminal,
# credential-process, exec), is taken at the next prompt. mfa leaves the path of the
# profile's marker in __mfaenv_follow and the session held in __mfaenv_follow_gen; per
# prompt bash reads the marker with `read` (no process), and runs mfaenv once when it
# names another session. The marker is compared, never evaluated. MFAENV_FOLLOW=0 stops it.
__mfaenv_follow_check() {
    [[ -n ${__mfaenv_follow-} && -n ${MFAENV_PROFILE-} ]] || \builtin return 0
    [[ ${MFAENV_FOLLOW-} != 0 ]] || \builtin return 0
    [[ -f $__mfaenv_follow && ! -h $__mfaenv_follow && -O $__mfaenv_follow ]] || \builtin return 0
    \builtin local __mfaenv_gen='' __mfaenv_held="${__mfaenv_follow_gen-}"
    IFS= \builtin read -r __mfaenv_gen <"$__mfaenv_follow" 2>/dev/null || \builtin true
    [[ -n $__mfaenv_gen && $__mfaenv_gen != "$__mfaenv_held" ]] || \builtin return 0
    # Remembered first, so a session that cannot be followed costs one process, not one a prompt.
    __mfaenv_follow_gen=$__mfaenv_gen
    \builtin export -n __mfaenv_follow_gen
    __mfaenv_eval sh-follow --shell bash "$__mfaenv_follow" "$__mfaenv_held" || \builtin true
}

# At its end, without a newer session to follow, the shell says so once (not at every
# prompt): a builtin comparison of MFAENV_EXPIRES with the clock, no process.
__mfaenv_ended_check() {
    __mfaenv_is_time "${MFAENV_EXPIRES-}" || \builtin return 0
    [[ ${__mfaenv_ended-} != "$MFAENV_EXPIRES" ]] || \builtin return 0
    \builtin local __mfaenv_now
    __mfaenv_clock
    ((MFAENV_EXPIRES <= __mfaenv_now)) || \builtin return 0
    __mfaenv_ended=$MFAENV_EXPIRES
    \builtin export -n __mfaenv_ended
    \builtin printf 'mfaenv: the MFA session for %s has ended: mfa CODE\n' "${MFAENV_PROFILE-}" >&2
}

# Renewal: with less than MFAENV_RENEW_MARGIN seconds left (default 900), the hook starts
# `mfaenv sh-renew` once for this session, in the background (a subshell's job: no
# job-control message; never asks on the terminal). With a TOTP source it makes a new
# session under the refresh lock, which every following shell picks up; a failure is
# written to a report file that is printed once, at a later prompt. No process otherwise.
__mfaenv_renew_check() {
    if [[ -n ${__mfaenv_renew_report-} && -f $__mfaenv_renew_report &&
        ! -h $__mfaenv_renew_report && -O $__mfaenv_renew_report ]]; then
        \builtin local __mfaenv_line=''
        IFS= \builtin read -r __mfaenv_line <"$__mfaenv_renew_report" || \builtin true
        \builtin printf 'mfaenv: %s\n' "$__mfaenv_line" >&2
        \builtin unset __mfaenv_renew_report
    fi
    [[ -n ${__mfaenv_follow-} && ${MFAENV_FOLLOW-} != 0 ]] || \builtin return 0
    __mfaenv_is_time "${MFAENV_EXPIRES-}" || \builtin return 0
    [[ ${__mfaenv_renewing-} != "$MFAENV_EXPIRES" ]] || \builtin return 0
    \builtin local __mfaenv_margin="${MFAENV_RENEW_MARGIN-900}" __mfaenv_now
    __mfaenv_is_time "$__mfaenv_margin" || __mfaenv_margin=900
    __mfaenv_clock
    ((MFAENV_EXPIRES > __mfaenv_now && MFAENV_EXPIRES - __mfaenv_now < __mfaenv_margin)) ||
        \builtin return 0
    __mfaenv_renewing=$MFAENV_EXPIRES
    __mfaenv_renew_report="$__mfaenv_follow.$$.$MFAENV_EXPIRES.err"
    \builtin export -n __mfaenv_renewing __mfaenv_renew_report
    (__MFAENV_STASH="${__mfaenv_stash-}" MFAENV_NO_PROMPT=1 @MFAENV@ sh-renew --shell bash \
        "$__mfaenv_follow" "$__mfaenv_renew_report" "$__mfaenv_margin" </dev/null >/dev/null 2>&1 &)
}

# Before each prompt. Each check uses builtins only and returns 0 whatever it finds, so
# that set -e cannot end the shell; the status of the user's last command is given back
# to the prompt ($? in PS1), except under set -e, where a non-zero one would end the shell.
# One more check of the same kind (a comparison of two variables) costs microseconds.
__mfaenv_prompt_hook() {
    \builtin local __mfaenv_status=$?
    __mfaenv_follow_check || \builtin true
    __mfaenv_renew_check || \builtin true
    __mfaenv_ended_check || \builtin true
    __mfaenv_segment || \builtin true
    case $- in *e*) \builtin return 0 ;; esac
    \builtin return "$__mfaenv_status"
}

# For $(mfa_prompt) in a prompt: the same text, at the cost of one subshell.
mfa_prompt() {
    __mfaenv_segment || \builtin true
    \builtin printf '%s' "$MFAENV_SEGMENT"
}

# Run the hook first, once, in the string or the array (bash 5.1) form of PROMPT_COMMAND.
__mfaenv_add_hook() {
    \builtin local __mfaenv_command
    for __mfaenv_command in ${PROMPT_COMMAND[@]+"${PROMPT_COMMAND[@]}"}; do
        case ";$__mfaenv_command;" in *";__mfaenv_prompt_hook;"*) \builtin return 0 ;; esac
    done
    if [[ "$(\builtin declare -p PROMPT_COMMAND 2>/dev/null)" == "declare -a"* ]]; then
        PROMPT_COMMAND=(__mfaenv_prompt_hook "${PROMPT_COMMAND[@]}")
    else
        # shellcheck disable=SC2128,SC2178 # here PROMPT_COMMAND is a string
        PROMPT_COMMAND="__mfaenv_prompt_hook${PROMPT_COMMAND:+;$PROMPT_COMMAND}"
    fi
}
__mfaenv_add_hook
