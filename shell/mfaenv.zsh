# mfaenv shell integration for zsh. Load it with:  eval "$(mfaenv init zsh)"
# `mfa` runs mfaenv; it evals only what the sh-* commands print, and only when they succeed.

# Here mfaenv init puts shell/mfaenv.sh, shared with bash: the function mfa, what it calls,
# and the prompt hook with its checks, which call the three functions below.
@POSIX@

# The time, into __mfaenv_now (a local of the caller): zsh/datetime's $EPOCHSECONDS.
\builtin zmodload -F zsh/datetime p:EPOCHSECONDS 2>/dev/null || \builtin true
__mfaenv_clock() {
    \builtin emulate -L zsh
    __mfaenv_now=${EPOCHSECONDS-0}
}

# Shell variables the hooks keep stay in the shell: ALL_EXPORT would export them.
__mfaenv_unexport() {
    \builtin emulate -L zsh
    \builtin typeset -g +x "$@"
}

# The segment $1 as PROMPT shows it, in the SGR style $2 if any: the prompt expands %
# sequences in what it substitutes, so % is doubled to stay literal; %{ %} tell zsh the
# escape sequences take no room on the line.
__mfaenv_show() {
    \builtin emulate -L zsh
    MFAENV_SEGMENT=${1//\%/%%}
    [[ -z $2 ]] || MFAENV_SEGMENT="%{"$'\e['"$2m%}$MFAENV_SEGMENT%{"$'\e[0m'"%}"
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
