# mfaenv shell integration for zsh. Load it with:  eval "$(mfaenv init zsh)"
# `mfa` runs mfaenv; it evals only what the sh-* commands print, and only when they succeed.

# Here mfaenv init puts shell/mfaenv.sh, shared with bash: the function mfa, what it calls,
# and __mfaenv_visible for the prompt segment.
@POSIX@

# Prompt segment. Before each prompt, MFAENV_SEGMENT becomes "aws:PROFILE 11h42m" while
# this shell holds an MFA session, and empty otherwise; show it in your prompt, e.g.
#     setopt PROMPT_SUBST; PROMPT='${MFAENV_SEGMENT:+$MFAENV_SEGMENT }'"$PROMPT"
# It is computed by zsh alone ($EPOCHSECONDS): no process is started per prompt. Settings:
# MFAENV_PROMPT_FORMAT (%p profile, %r :ROLE@ACCOUNT for a role, %t time left; default
# "aws:%p%r %t"), MFAENV_PROMPT_STYLE
# and MFAENV_PROMPT_WARN_STYLE (SGR codes such as "33" or "1;31"; warn default "31"),
# MFAENV_PROMPT_WARN (seconds left below which the warning style applies; default 900).
# NO_COLOR turns styles off.
\builtin zmodload -F zsh/datetime p:EPOCHSECONDS 2>/dev/null || \builtin true

__mfaenv_segment() {
    \builtin emulate -L zsh
    MFAENV_SEGMENT=
    __mfaenv_is_time "${MFAENV_EXPIRES-}" || \builtin return 0
    \builtin local __mfaenv_left __mfaenv_text __mfaenv_style __mfaenv_warn __mfaenv_format
    __mfaenv_left=$((MFAENV_EXPIRES - EPOCHSECONDS))
    if ((__mfaenv_left <= 0)); then
        __mfaenv_text=expired
    elif ((__mfaenv_left < 60)); then
        __mfaenv_text='<1m'
    elif ((__mfaenv_left < 3600)); then
        __mfaenv_text="$((__mfaenv_left / 60))m"
    else
        \builtin printf -v __mfaenv_text '%dh%02dm' $((__mfaenv_left / 3600)) $((__mfaenv_left % 3600 / 60))
    fi
    __mfaenv_format=${MFAENV_PROMPT_FORMAT-aws:%p%r %t}
    \builtin local __mfaenv_profile=${MFAENV_PROFILE-} __mfaenv_role=${MFAENV_ROLE-} __mfaenv_visible_text
    if [[ $__mfaenv_profile$__mfaenv_role == *[^[:ascii:]]* ||
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
    # The prompt expands % sequences in what it substitutes: keep the text literal.
    __mfaenv_text=${__mfaenv_text//\%/%%}
    __mfaenv_warn=${MFAENV_PROMPT_WARN-900}
    __mfaenv_is_time "$__mfaenv_warn" || __mfaenv_warn=900
    __mfaenv_style=${MFAENV_PROMPT_STYLE-}
    if ((__mfaenv_left < __mfaenv_warn)); then __mfaenv_style=${MFAENV_PROMPT_WARN_STYLE-31}; fi
    if [[ -n $__mfaenv_style && -z ${NO_COLOR-} ]]; then
        __mfaenv_text="%{"$'\e['"${__mfaenv_style}m%}${__mfaenv_text}%{"$'\e[0m'"%}"
    fi
    MFAENV_SEGMENT=$__mfaenv_text
}

# Follow: a newer session of this shell's profile, made by any mfaenv (another terminal,
# credential-process, exec), is taken at the next prompt. mfa leaves the path of the
# profile's marker in __mfaenv_follow and the session held in __mfaenv_follow_gen; per
# prompt zsh reads the marker with `read` (no process), and runs mfaenv once when it
# names another session. The marker is compared, never evaluated. MFAENV_FOLLOW=0 stops it.
__mfaenv_follow_check() {
    \builtin emulate -L zsh
    [[ -n ${__mfaenv_follow-} && -n ${MFAENV_PROFILE-} ]] || \builtin return 0
    [[ ${MFAENV_FOLLOW-} != 0 ]] || \builtin return 0
    [[ -f $__mfaenv_follow && ! -h $__mfaenv_follow && -O $__mfaenv_follow ]] || \builtin return 0
    \builtin local __mfaenv_gen='' __mfaenv_held=${__mfaenv_follow_gen-}
    IFS= \builtin read -r __mfaenv_gen <"$__mfaenv_follow" 2>/dev/null || \builtin true
    [[ -n $__mfaenv_gen && $__mfaenv_gen != "$__mfaenv_held" ]] || \builtin return 0
    # Remembered first, so a session that cannot be followed costs one process, not one a prompt.
    \builtin typeset -g __mfaenv_follow_gen=$__mfaenv_gen
    \builtin typeset -g +x __mfaenv_follow_gen
    __mfaenv_eval sh-follow --shell zsh "$__mfaenv_follow" "$__mfaenv_held" || \builtin true
}

# At its end, without a newer session to follow, the shell says so once (not at every
# prompt): a builtin comparison of MFAENV_EXPIRES with $EPOCHSECONDS, no process.
__mfaenv_ended_check() {
    \builtin emulate -L zsh
    __mfaenv_is_time "${MFAENV_EXPIRES-}" || \builtin return 0
    [[ ${__mfaenv_ended-} != "$MFAENV_EXPIRES" ]] || \builtin return 0
    ((MFAENV_EXPIRES <= EPOCHSECONDS)) || \builtin return 0
    \builtin typeset -g __mfaenv_ended=$MFAENV_EXPIRES
    \builtin typeset -g +x __mfaenv_ended
    \builtin printf 'mfaenv: the MFA session for %s has ended: mfa CODE\n' "${MFAENV_PROFILE-}" >&2
}

# Renewal: with less than MFAENV_RENEW_MARGIN seconds left (default 900), the hook starts
# `mfaenv sh-renew` once for this session, in the background (a subshell's job: no
# job-control message; never asks on the terminal). With a TOTP source it makes a new
# session under the refresh lock, which every following shell picks up; a failure is
# written to a report file that is printed once, at a later prompt. No process otherwise.
__mfaenv_renew_check() {
    \builtin emulate -L zsh
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
    \builtin local __mfaenv_margin=${MFAENV_RENEW_MARGIN-900}
    __mfaenv_is_time "$__mfaenv_margin" || __mfaenv_margin=900
    ((MFAENV_EXPIRES > EPOCHSECONDS && MFAENV_EXPIRES - EPOCHSECONDS < __mfaenv_margin)) ||
        \builtin return 0
    \builtin typeset -g __mfaenv_renewing=$MFAENV_EXPIRES
    \builtin typeset -g __mfaenv_renew_report="$__mfaenv_follow.$$.$MFAENV_EXPIRES.err"
    \builtin typeset -g +x __mfaenv_renewing __mfaenv_renew_report
    (__MFAENV_STASH="${__mfaenv_stash-}" MFAENV_NO_PROMPT=1 @MFAENV@ sh-renew --shell zsh \
        "$__mfaenv_follow" "$__mfaenv_renew_report" "$__mfaenv_margin" </dev/null >/dev/null 2>&1 &)
}

# Before each prompt. Each check uses builtins only and returns 0 whatever it finds; zsh
# gives the status of the user's last command back to the prompt itself (%? in PROMPT).
# One more check of the same kind (a comparison of two variables) costs microseconds.
__mfaenv_prompt_hook() {
    \builtin emulate -L zsh
    __mfaenv_follow_check || \builtin true
    __mfaenv_renew_check || \builtin true
    __mfaenv_ended_check || \builtin true
    __mfaenv_segment || \builtin true
}

# For $(mfa_prompt) in a prompt: the same text, at the cost of one subshell.
mfa_prompt() {
    \builtin emulate -L zsh
    __mfaenv_segment || \builtin true
    \builtin print -rn -- "$MFAENV_SEGMENT"
}

# Run the hook before each prompt, once: an entry of precmd_functions (not through
# add-zsh-hook, which would call emulate and autoload as the user's functions of that name).
() {
    \builtin emulate -L zsh
    \builtin typeset -ga precmd_functions
    if (( ${precmd_functions[(I)__mfaenv_prompt_hook]} == 0 )); then
        precmd_functions+=(__mfaenv_prompt_hook)
    fi
}
