# mfaenv shell integration for bash. Load it with:  eval "$(mfaenv init bash)"
# `mfa` runs mfaenv; it evals only what the sh-* commands print, and only when they succeed.

__mfaenv_run() {
    @MFAENV@ "$@"
}

__mfaenv_eval() {
    # The stash of replaced keys stays a shell variable; mfaenv sees it for this one call.
    local __mfaenv_code
    __mfaenv_code="$(__MFAENV_STASH="${__mfaenv_stash-}" @MFAENV@ "$@")" || return
    eval "$__mfaenv_code"
}

mfa() {
    case "${1-}" in
        @PASSTHROUGH@)
            __mfaenv_run "$@" ;;
        @EVAL_VERBS@)
            local __mfaenv_verb="$1"
            shift
            __mfaenv_eval "sh-$__mfaenv_verb" --shell bash "$@" ;;
        *)
            __mfaenv_eval sh-on --shell bash "$@" ;;
    esac
}
