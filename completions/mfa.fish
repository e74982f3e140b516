# fish completion for mfa and mfaenv. `mfaenv init fish` loads it; to install it on its
# own, copy it to ~/.config/fish/completions/mfa.fish and mfaenv.fish.
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

# The verbs, in one place: name and description.
set -l __mfaenv_verbs \
    'off:End the MFA session' \
    'status:Show the MFA session of this shell' \
    'exec:Run a command with the MFA session' \
    'credential-process:The session as credential_process JSON' \
    'enroll:Create and enable a virtual MFA device' \
    'rotate-key:Replace your access key, safely' \
    'unsave:Remove a session saved with --save-as' \
    'keys:Keep the long-lived keys of a profile encrypted' \
    'policy:The IAM policy that makes keys need MFA' \
    'console:Open the AWS web console as a role session' \
    'prompt:Print the prompt segment' \
    'sandbox:A local STS and IAM to try mfa' \
    'init:Print the shell integration' \
    'help:Show help' \
    'version:Show the version'
set -l __mfaenv_names (string replace -r ':.*' '' -- $__mfaenv_verbs)
set -l __mfaenv_no_verb "not __fish_seen_subcommand_from $__mfaenv_names"
set -l __mfaenv_session_verb "__fish_seen_subcommand_from exec credential-process; and not contains -- -- (commandline -opc)"

for __mfaenv_command in mfa mfaenv
    builtin complete -c $__mfaenv_command -f
    for __mfaenv_verb in $__mfaenv_verbs
        set -l verb (string split -m1 : -- $__mfaenv_verb)
        # mfaenv has all the verbs but off and sandbox: they change the shell, so only the
        # shell function mfa runs them.
        if test $__mfaenv_command = mfa; or not contains -- $verb[1] off sandbox
            builtin complete -c $__mfaenv_command -n $__mfaenv_no_verb -a $verb[1] -d $verb[2]
        end
    end

    # Session options: for `mfa [CODE]`, and for exec and credential-process.
    set -l when $__mfaenv_session_verb
    test $__mfaenv_command = mfa; and set when "$__mfaenv_no_verb; or $__mfaenv_session_verb"
    builtin complete -c $__mfaenv_command -n $when -l profile -x -a '(__mfaenv_profiles)' -d 'AWS profile with the long-lived keys'
    builtin complete -c $__mfaenv_command -n $when -l duration -x -a '15m 1h 4h 8h 12h 36h' -d 'Session length'
    builtin complete -c $__mfaenv_command -n $when -l serial -x -d 'ARN of the MFA device'
    builtin complete -c $__mfaenv_command -n $when -l totp -x -a 'pass: file: command:' -d 'Where codes come from'
    builtin complete -c $__mfaenv_command -n $when -l role -x -d 'ARN of a role to assume'
    builtin complete -c $__mfaenv_command -n $when -l save-as -x -d 'Also write the session as this profile'
    builtin complete -c $__mfaenv_command -n "__fish_seen_subcommand_from exec; and not contains -- -- (commandline -opc)" -l server -d 'A local credential endpoint that renews, not keys'
    builtin complete -c $__mfaenv_command -n "__fish_seen_subcommand_from exec; and not contains -- -- (commandline -opc)" -l listen -x -d 'With --server, the address to listen on'
    # After `exec ... --`, complete the command to run.
    builtin complete -c $__mfaenv_command -n "__fish_seen_subcommand_from exec; and contains -- -- (commandline -opc)" -x -a '(__fish_complete_subcommand --fcs-skip=2)'

    builtin complete -c $__mfaenv_command -n "__fish_seen_subcommand_from status" -l json -d 'Machine-readable output'
    builtin complete -c $__mfaenv_command -n "__fish_seen_subcommand_from status" -l all -d 'Every cached session'
    builtin complete -c $__mfaenv_command -n "__fish_seen_subcommand_from status" -l profile -x -a '(__mfaenv_profiles)' -d 'The cached session of this profile'
    builtin complete -c $__mfaenv_command -n "__fish_seen_subcommand_from init" -a 'bash zsh fish'
    builtin complete -c $__mfaenv_command -n "__fish_seen_subcommand_from sandbox" -a 'start stop'
    builtin complete -c $__mfaenv_command -n "__fish_seen_subcommand_from help; and test (builtin count (commandline -opc)) -eq 2" -a "$__mfaenv_names"

    # The MFA lifecycle and the keys: enroll, rotate-key, policy, unsave, keys.
    builtin complete -c $__mfaenv_command -n "__fish_seen_subcommand_from enroll rotate-key" -l profile -x -a '(__mfaenv_profiles)' -d 'AWS profile with the keys'
    builtin complete -c $__mfaenv_command -n "__fish_seen_subcommand_from enroll" -l name -x -d 'Name of the device'
    builtin complete -c $__mfaenv_command -n "__fish_seen_subcommand_from enroll" -l store -x -a 'pass: file:' -d 'Where to keep the secret'
    builtin complete -c $__mfaenv_command -n "__fish_seen_subcommand_from enroll" -l force -d 'Enrol even with a device already'
    builtin complete -c $__mfaenv_command -n "__fish_seen_subcommand_from policy" -l style -x -a 'strict self-service' -d 'How strict'
    builtin complete -c $__mfaenv_command -n "__fish_seen_subcommand_from policy" -l max-age -x -a '1h 8h 12h' -d 'Deny MFA older than this'
    builtin complete -c $__mfaenv_command -n "__fish_seen_subcommand_from unsave; and test (builtin count (commandline -opc)) -eq 2" -a '(__mfaenv_profiles)' -d 'Saved session'
    builtin complete -c $__mfaenv_command -n "__fish_seen_subcommand_from keys; and not __fish_seen_subcommand_from import" -a import -d 'Move the keys into the store'
    builtin complete -c $__mfaenv_command -n "__fish_seen_subcommand_from keys" -l profile -x -a '(__mfaenv_profiles)' -d 'AWS profile with the keys'
    builtin complete -c $__mfaenv_command -n "__fish_seen_subcommand_from keys" -l store -x -a 'pass: keyring' -d 'Where to keep them'

    # The web console.
    set -l console "__fish_seen_subcommand_from console"
    builtin complete -c $__mfaenv_command -n $console -l profile -x -a '(__mfaenv_profiles)' -d 'A profile with role_arn'
    builtin complete -c $__mfaenv_command -n $console -l role -x -d 'ARN of a role to assume from the profile'
    builtin complete -c $__mfaenv_command -n $console -l totp -x -a 'pass: file: command:' -d 'Where codes come from'
    builtin complete -c $__mfaenv_command -n $console -l duration -x -a '15m 1h 4h 8h 12h' -d 'Console session length'
    builtin complete -c $__mfaenv_command -n $console -l destination -x -d 'The https console page to open'
    builtin complete -c $__mfaenv_command -n $console -l service -x -d 'The console of a service'
    builtin complete -c $__mfaenv_command -n $console -l print -d 'Write the sign-in URL to stdout'
    builtin complete -c $__mfaenv_command -n $console -l open-with -x -d 'Open the URL with this program'
end
