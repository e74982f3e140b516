# fish completion for mfa and mfaenv. `mfaenv init fish` loads it; to install it on its
# own, copy it to ~/.config/fish/completions/mfa.fish and mfaenv.fish.
# Profile names are read from the AWS files by fish builtins: Python never starts on a tab.

function __mfaenv_profiles
    set -l config ~/.aws/config
    set -q AWS_CONFIG_FILE; and set config $AWS_CONFIG_FILE
    set -l credentials ~/.aws/credentials
    set -q AWS_SHARED_CREDENTIALS_FILE; and set credentials $AWS_SHARED_CREDENTIALS_FILE
    begin
        # [default] and [profile NAME]; [sso-session NAME] and [services NAME] have a space.
        test -r $config; and string match -rg '^\s*\[\s*(?:profile\s+)?(\S+?)\s*\]\s*$' <$config
        test -r $credentials; and string match -rg '^\s*\[\s*(\S+?)\s*\]\s*$' <$credentials
    end | path sort -u
end

set -l __mfaenv_verbs off status exec credential-process enroll rotate-key policy prompt sandbox init help version
complete -c mfa -f
complete -c mfa -n "not __fish_seen_subcommand_from $__mfaenv_verbs" -a off -d 'End the MFA session'
complete -c mfa -n "not __fish_seen_subcommand_from $__mfaenv_verbs" -a status -d 'Show the MFA session of this shell'
complete -c mfa -n "not __fish_seen_subcommand_from $__mfaenv_verbs" -a exec -d 'Run a command with the MFA session'
complete -c mfa -n "not __fish_seen_subcommand_from $__mfaenv_verbs" -a credential-process -d 'The session as credential_process JSON'
complete -c mfa -n "not __fish_seen_subcommand_from $__mfaenv_verbs" -a prompt -d 'Print the prompt segment'
complete -c mfa -n "not __fish_seen_subcommand_from $__mfaenv_verbs" -a sandbox -d 'A local STS and IAM to try mfa'
complete -c mfa -n "not __fish_seen_subcommand_from $__mfaenv_verbs" -a init -d 'Print the shell integration'
complete -c mfa -n "not __fish_seen_subcommand_from $__mfaenv_verbs" -a help -d 'Show help'
complete -c mfa -n "not __fish_seen_subcommand_from $__mfaenv_verbs" -a version -d 'Show the version'
# Session options: for `mfa [CODE]`, and for exec and credential-process of both commands.
for __mfaenv_command in mfa mfaenv
    set -l when "not __fish_seen_subcommand_from $__mfaenv_verbs; or __fish_seen_subcommand_from exec credential-process; and not contains -- -- (commandline -opc)"
    test $__mfaenv_command = mfaenv; and set when "__fish_seen_subcommand_from exec credential-process; and not contains -- -- (commandline -opc)"
    complete -c $__mfaenv_command -n $when -l profile -x -a '(__mfaenv_profiles)' -d 'AWS profile with the long-lived keys'
    complete -c $__mfaenv_command -n $when -l duration -x -a '15m 1h 4h 8h 12h 36h' -d 'Session length'
    complete -c $__mfaenv_command -n $when -l serial -x -d 'ARN of the MFA device'
    complete -c $__mfaenv_command -n $when -l totp -x -a 'pass: file: command:' -d 'Where codes come from'
    complete -c $__mfaenv_command -n $when -l role -x -d 'ARN of a role to assume'
    # After `exec ... --`, complete the command to run.
    complete -c $__mfaenv_command -n "__fish_seen_subcommand_from exec; and contains -- -- (commandline -opc)" -x -a '(__fish_complete_subcommand --fcs-skip=2)'
end
complete -c mfa -n "__fish_seen_subcommand_from status" -l json -d 'Machine-readable output'
complete -c mfa -n "__fish_seen_subcommand_from init" -a 'bash zsh fish'
complete -c mfa -n "__fish_seen_subcommand_from sandbox" -a 'start stop'

set -l __mfaenv_commands init status exec credential-process enroll rotate-key policy prompt help version
complete -c mfaenv -f
complete -c mfaenv -n "not __fish_seen_subcommand_from $__mfaenv_commands" -a init -d 'Print the shell integration'
complete -c mfaenv -n "not __fish_seen_subcommand_from $__mfaenv_commands" -a status -d 'Show the MFA session of this shell'
complete -c mfaenv -n "not __fish_seen_subcommand_from $__mfaenv_commands" -a exec -d 'Run a command with the MFA session'
complete -c mfaenv -n "not __fish_seen_subcommand_from $__mfaenv_commands" -a credential-process -d 'The session as credential_process JSON'
complete -c mfaenv -n "not __fish_seen_subcommand_from $__mfaenv_commands" -a prompt -d 'Print the prompt segment'
complete -c mfaenv -n "not __fish_seen_subcommand_from $__mfaenv_commands" -a help -d 'Show help'
complete -c mfaenv -n "not __fish_seen_subcommand_from $__mfaenv_commands" -a version -d 'Show the version'
complete -c mfaenv -n "__fish_seen_subcommand_from init" -a 'bash zsh fish'
complete -c mfaenv -n "__fish_seen_subcommand_from status" -l json -d 'Machine-readable output'

# The MFA lifecycle: enroll, rotate-key, policy.
for __mfaenv_command in mfa mfaenv
    complete -c $__mfaenv_command -n "not __fish_seen_subcommand_from $__mfaenv_verbs" -a enroll -d 'Create and enable a virtual MFA device'
    complete -c $__mfaenv_command -n "not __fish_seen_subcommand_from $__mfaenv_verbs" -a rotate-key -d 'Replace your access key, safely'
    complete -c $__mfaenv_command -n "not __fish_seen_subcommand_from $__mfaenv_verbs" -a policy -d 'The IAM policy that makes keys need MFA'
    complete -c $__mfaenv_command -n "__fish_seen_subcommand_from enroll rotate-key" -l profile -x -a '(__mfaenv_profiles)' -d 'AWS profile with the keys'
    complete -c $__mfaenv_command -n "__fish_seen_subcommand_from enroll" -l name -x -d 'Name of the device'
    complete -c $__mfaenv_command -n "__fish_seen_subcommand_from enroll" -l store -x -a 'pass: file:' -d 'Where to keep the secret'
    complete -c $__mfaenv_command -n "__fish_seen_subcommand_from enroll" -l force -d 'Enrol even with a device already'
    complete -c $__mfaenv_command -n "__fish_seen_subcommand_from policy" -l style -x -a 'strict self-service' -d 'How strict'
    complete -c $__mfaenv_command -n "__fish_seen_subcommand_from policy" -l max-age -x -a '1h 8h 12h' -d 'Deny MFA older than this'
end
