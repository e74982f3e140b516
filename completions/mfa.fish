# fish completion for mfa and mfaenv. `mfaenv init fish` loads it; to install it on its
# own: python -m mfaenv.completion fish > ~/.config/fish/completions/mfa.fish (and
# mfaenv.fish).
# Profile names are read from the AWS files by fish builtins: no process starts on a tab.
# `builtin complete`, `builtin count`, `builtin path`: a user's function of that name
# takes no part (fish's own __fish_seen_subcommand_from calls commandline as it is).

# [default] and [profile NAME] of the AWS config file, [NAME] of the credentials file, each
# name once; a name with a blank in it is not one word, and is left out.
function __mfaenv_profiles
    set -l config ~/.aws/config
    test -n "$AWS_CONFIG_FILE"; and set config $AWS_CONFIG_FILE
    set -l credentials ~/.aws/credentials
    test -n "$AWS_SHARED_CREDENTIALS_FILE"; and set credentials $AWS_SHARED_CREDENTIALS_FILE
    begin
        test -f $config -a -r $config
        and string match -rg '^\[(?:(default)|profile[ \t]([^\s\]]+))\]' <$config
        test -f $credentials -a -r $credentials
        and string match -rg '^\[([^\s\]]+)\]' <$credentials
    end | builtin path sort -u
end

# The words between @ signs are filled in by `mfaenv init fish` from mfaenv's table of verbs
# (mfaenv/verbs.py); `python -m mfaenv.completion fish` prints the file filled in.
set -l __mfaenv_verbs \
    @VERBS@
set -l __mfaenv_names (string replace -r ':.*' '' -- $__mfaenv_verbs)
set -l __mfaenv_no_verb "not __fish_seen_subcommand_from $__mfaenv_names"

for __mfaenv_command in mfa mfaenv
    builtin complete -c $__mfaenv_command -f
    for __mfaenv_verb in $__mfaenv_verbs
        set -l verb (string split -m1 : -- $__mfaenv_verb)
        # mfaenv has all the verbs but those that change the shell: only the shell function
        # mfa runs them.
        if test $__mfaenv_command = mfa; or not contains -- $verb[1] @SHELL_ONLY@
            builtin complete -c $__mfaenv_command -n $__mfaenv_no_verb -a $verb[1] -d $verb[2]
        end
    end
    # After `exec ... --`, the command to run.
    builtin complete -c $__mfaenv_command -n "__fish_seen_subcommand_from exec; and contains -- -- (commandline -opc)" -x -a '(__fish_complete_subcommand --fcs-skip=2)'
    @VERB_LINES@
end
# The session options of `mfa [CODE]`.
@SESSION_LINES@
