# mfaenv shell integration for fish. Load it with:  mfaenv init fish | source
# `mfa` runs mfaenv; it evals only what the sh-* commands print, and only when they succeed.

function __mfaenv_run
    @MFAENV@ $argv
end

function __mfaenv_eval
    # The stash of replaced keys stays a shell variable; mfaenv sees it for this one call.
    set -l __mfaenv_code (__MFAENV_STASH="$__mfaenv_stash" @MFAENV@ $argv | string collect)
    set -l __mfaenv_status $pipestatus[1]
    test $__mfaenv_status -eq 0; or return $__mfaenv_status
    printf '%s\n' $__mfaenv_code | source
    return 0
end

function mfa --description 'MFA session for AWS keys: mfa CODE, mfa off, mfa status'
    if contains -- "$argv[1]" @PASSTHROUGH@
        __mfaenv_run $argv
    else if contains -- "$argv[1]" @EVAL_VERBS@
        __mfaenv_eval sh-$argv[1] --shell fish $argv[2..-1]
    else
        __mfaenv_eval sh-on --shell fish $argv
    end
end
