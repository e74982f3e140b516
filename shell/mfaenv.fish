# mfaenv shell integration for fish. Load it with:  mfaenv init fish | source
# `mfa` runs mfaenv; it evals only what the sh-* commands print, and only when they succeed.
# fish 3.6 and 4. A user's function may take the name of printf, math, contains, count,
# path or source (fish keeps set, test, string, read, command... for itself): those are
# called as `builtin NAME`.

# The stash of replaced keys stays a shell variable; mfaenv sees it for one call at a time.
function __mfaenv_run
    __MFAENV_STASH="$__mfaenv_stash" @MFAENV@ $argv
end

function __mfaenv_eval
    set -l __mfaenv_code (__MFAENV_STASH="$__mfaenv_stash" __MFAENV_HELD="$__mfaenv_profile_seen" @MFAENV@ $argv | string collect)
    set -l __mfaenv_status $pipestatus[1]
    test $__mfaenv_status -eq 0; or return $__mfaenv_status
    builtin printf '%s\n' $__mfaenv_code | builtin source
    return 0
end

# `mfa [OPTIONS] CODE [OPTIONS]`: the code reaches mfaenv in the environment of this one
# call, not in its arguments, which every user may read (/proc/PID/cmdline), wherever it
# is among them. So does every other word that is neither an option nor the value of one
# (every option of a session but -h/--help takes a value; after --, no word is an option),
# one per line: a second code, or a word typed before the code, is refused by mfaenv
# without either being in argv.
function __mfaenv_on
    set -l code
    set -l words
    set -l after
    for word in $argv
        if test "$after" = value
            set after
        else if test -z "$word"
        else if test "$after" = end; or not string match -q -- '-*' $word
            set -a code $word
            continue
        else if test "$word" = --
            set after end
        else if not string match -qr -- '^(-h|--help|-.*=.*|-)$' $word
            set after value
        end
        set -a words $word
    end
    __MFAENV_CODE=(string join \n -- $code | string collect) __mfaenv_eval sh-on --shell fish $words
end

function mfa --description 'MFA session for AWS keys: mfa CODE, mfa off, mfa status'
    if builtin contains -- "$argv[1]" @PASSTHROUGH@
        __mfaenv_run $argv
    else if builtin contains -- "$argv[1]" @EVAL_VERBS@
        __mfaenv_eval sh-$argv[1] --shell fish $argv[2..-1]
    else
        __mfaenv_on $argv
    end
end

# Prompt segment: `mfa_prompt` prints "aws:PROFILE 11h42m" while this shell holds an
# MFA session, and nothing otherwise. Call it from fish_prompt or fish_right_prompt:
#     function fish_right_prompt; mfa_prompt; end
# Settings: MFAENV_PROMPT_FORMAT (%p profile, %r :ROLE@ACCOUNT for a role, %t time left;
# default "aws:%p%r %t"),
# MFAENV_PROMPT_STYLE and MFAENV_PROMPT_WARN_STYLE (SGR codes such as "33" or "1;31"; warn
# default "31"), MFAENV_PROMPT_WARN (seconds left below which the warning style applies;
# default 900). NO_COLOR turns styles off.
#
# fish has no clock of its own. On Linux the time is the boot time (read once, here) plus
# the seconds since boot, read per prompt from /proc/uptime by a builtin: no process is
# started. Without /proc (macOS, the BSDs) it costs one `date +%s` at each prompt while
# the shell holds a session, and none otherwise: in an interactive shell the time read for
# the prompt's checks serves its segment too, until the next command starts.
# (__MFAENV_PROC names another /proc: the tests take it away to run that path.)
set -g __mfaenv_proc /proc
set -q __MFAENV_PROC; and set __mfaenv_proc $__MFAENV_PROC
set -g __mfaenv_btime
test -r $__mfaenv_proc/stat; and set __mfaenv_btime (string match -rg '^btime (\d+)$' <$__mfaenv_proc/stat)
set -g __mfaenv_time

function __mfaenv_now
    if test -n "$__mfaenv_btime"; and test -r $__mfaenv_proc/uptime
        read -l __mfaenv_up __mfaenv_idle <$__mfaenv_proc/uptime
        builtin math $__mfaenv_btime + (string split -f1 . -- $__mfaenv_up)
    else
        if not status is-interactive; or test -z "$__mfaenv_time"
            set -g __mfaenv_time (command date +%s)
        end
        builtin printf '%s\n' $__mfaenv_time
    end
end

function __mfaenv_forget_time --on-event fish_preexec
    set -g __mfaenv_time
end

# Whether $argv[1] is a time mfaenv set (whole seconds since 1970, at most 12 digits):
# anything else in MFAENV_EXPIRES is no session, never an error at the prompt.
function __mfaenv_is_time
    string match -qr '^[0-9]{1,12}$' -- "$argv[1]"
end

# A name's control and invisible characters as \xNN or \uNNNN, as `mfa status` shows
# them: a profile named (printf '\e]0;x\a') must not retitle the terminal at every prompt,
# nor one with U+202E read backwards. No process; the replacements run only for a name that
# is not plain printable ASCII: control characters first, the newline before them, so that
# no later command substitution splits the text; then the characters of
# mfaenv.printable.INVISIBLE that the name has (list and class filled in by mfaenv init).
function __mfaenv_visible
    set -l text $argv[1]
    if string match -qr '[^\x20-\x7e]' -- $text
        if string match -qr '[\x01-\x1f\x7f]' -- $text
            set text (string replace -a -- \n '\x0a' $text)
            for char in \x01 \x02 \x03 \x04 \x05 \x06 \x07 \x08 \x09 \x0b \x0c \x0d \x0e \x0f \x10 \x11 \x12 \x13 \x14 \x15 \x16 \x17 \x18 \x19 \x1a \x1b \x1c \x1d \x1e \x1f \x7f
                set text (string replace -a -- $char '\x'(builtin printf '%02x' "'$char") $text)
            end
        end
        if string match -qr -- @INVISIBLE_CLASS@ $text
            for char in @INVISIBLE@
                string match -q -- "*$char*" $text; or continue
                set -l point (builtin printf '%d' "'$char")
                set -l shown '\u'(builtin printf '%04x' $point)
                test $point -lt 256; and set shown '\x'(builtin printf '%02x' $point)
                set text (string replace -a -- $char $shown $text)
            end
        end
    end
    builtin printf '%s' $text
end

function __mfaenv_segment
    __mfaenv_is_time "$MFAENV_EXPIRES"; or return 0
    set -l now (__mfaenv_now)
    __mfaenv_is_time "$now"; or return 0
    set -l left (builtin math $MFAENV_EXPIRES - $now)
    set -l text
    if test $left -le 0
        set text expired
    else if test $left -lt 60
        set text '<1m'
    else if test $left -lt 3600
        set text (builtin math --scale=0 "floor($left / 60)")m
    else
        set text (builtin math "floor($left / 3600)")h(string pad -w 2 -c 0 (builtin math "floor($left % 3600 / 60)"))m
    end
    set -l format 'aws:%p%r %t'
    set -q MFAENV_PROMPT_FORMAT; and set format $MFAENV_PROMPT_FORMAT
    set -l role
    test -n "$MFAENV_ROLE"; and set role ":"(__mfaenv_visible "$MFAENV_ROLE")
    set -l profile (__mfaenv_visible "$MFAENV_PROFILE")
    set text (string replace -a -- %t $text $format | string replace -a -- %r "$role" | string replace -a -- %p "$profile")
    set -l warn 900
    __mfaenv_is_time "$MFAENV_PROMPT_WARN"; and set warn $MFAENV_PROMPT_WARN
    set -l style "$MFAENV_PROMPT_STYLE"
    if test $left -lt $warn
        set style 31
        set -q MFAENV_PROMPT_WARN_STYLE; and set style "$MFAENV_PROMPT_WARN_STYLE"
    end
    if test -n "$style"; and test -z "$NO_COLOR"
        builtin printf '\e[%sm%s\e[0m' $style $text
    else
        builtin printf '%s' $text
    end
end

function mfa_prompt --description 'The MFA session and its time left, for a prompt'
    __mfaenv_segment
end

# Follow: a newer session of this shell's profile, made by any mfaenv (another terminal,
# credential-process, exec), is taken before the next prompt. mfa leaves the path of the
# profile's marker in __mfaenv_follow and the session held in __mfaenv_follow_gen; per
# prompt fish reads the marker with `read` (no process), and runs mfaenv once when it
# names another session. The marker is compared, never evaluated. MFAENV_FOLLOW=0 stops it.
function __mfaenv_follow_check
    set -q __mfaenv_follow[1]; and set -q MFAENV_PROFILE; or return 0
    test "$MFAENV_FOLLOW" != 0; or return 0
    test -f "$__mfaenv_follow"; and not test -L "$__mfaenv_follow"; and test -O "$__mfaenv_follow"; or return 0
    set -l gen
    read -l gen <$__mfaenv_follow 2>/dev/null
    set -l held "$__mfaenv_follow_gen"
    test -n "$gen"; and test "$gen" != "$held"; or return 0
    # Remembered first, so a session that cannot be followed costs one process, not one a prompt.
    set -g __mfaenv_follow_gen $gen
    __mfaenv_eval sh-follow --shell fish $__mfaenv_follow $held
end

# The session follows the profile the shell is in: when AWS_PROFILE or direnv's
# DIRENV_DIFF is no longer what mfa left (direnv on cd, mise, set -gx by hand), mfaenv
# runs once, with what they were, and gives the shell that profile's cached session or
# puts the session away (mfaenv.profilefollow). Builtin comparisons only, per prompt.
function __mfaenv_profile_check
    set -q MFAENV_PROFILE; and set -q __mfaenv_stash; or return 0
    set -l now "|$DIRENV_DIFF"
    set -q AWS_PROFILE; and set now "=$AWS_PROFILE$now"
    set -l held "$__mfaenv_profile_seen"
    test "$now" != "$held"; or return 0
    # Remembered first, so a change that cannot be followed costs one process, not one a prompt.
    set -g __mfaenv_profile_seen $now
    set -l code (__MFAENV_STASH="$__mfaenv_stash" __MFAENV_HELD="$held" @MFAENV@ sh-profile --shell fish | string collect)
    test $pipestatus[1] -eq 0; or return 0
    builtin printf '%s\n' $code | builtin source
end

# At its end, without a newer session to follow, the shell says so once (not at every
# prompt): a builtin comparison of MFAENV_EXPIRES with the clock, no process on Linux.
function __mfaenv_ended_check
    __mfaenv_is_time "$MFAENV_EXPIRES"; or return 0
    test "$__mfaenv_ended" != "$MFAENV_EXPIRES"; or return 0
    set -l now (__mfaenv_now)
    __mfaenv_is_time "$now"; and test $MFAENV_EXPIRES -le $now; or return 0
    set -g __mfaenv_ended $MFAENV_EXPIRES
    builtin printf 'mfaenv: the MFA session for %s has ended: mfa CODE\n' "$MFAENV_PROFILE" >&2
end

# Renewal: with less than MFAENV_RENEW_MARGIN seconds left (default 900), the hook starts
# `mfaenv sh-renew` once for this session, in the background (through sh, so fish has no
# job to report; it never asks on the terminal). With a TOTP source it makes a new
# session under the refresh lock, which every following shell picks up; a failure is
# written to a report file that is printed once, at a later prompt. No process otherwise.
function __mfaenv_renew_check
    if set -q __mfaenv_renew_report[1]; and test -f "$__mfaenv_renew_report"; and not test -L "$__mfaenv_renew_report"; and test -O "$__mfaenv_renew_report"
        read -l line <$__mfaenv_renew_report
        builtin printf 'mfaenv: %s\n' "$line" >&2
        set -e -g __mfaenv_renew_report
    end
    set -q __mfaenv_follow[1]; and test "$MFAENV_FOLLOW" != 0; or return 0
    __mfaenv_is_time "$MFAENV_EXPIRES"; or return 0
    test "$__mfaenv_renewing" != "$MFAENV_EXPIRES"; or return 0
    set -l margin 900
    __mfaenv_is_time "$MFAENV_RENEW_MARGIN"; and set margin $MFAENV_RENEW_MARGIN
    set -l now (__mfaenv_now)
    __mfaenv_is_time "$now"; or return 0
    test $MFAENV_EXPIRES -gt $now; and test (builtin math $MFAENV_EXPIRES - $now) -lt $margin; or return 0
    set -g __mfaenv_renewing $MFAENV_EXPIRES
    set -g __mfaenv_renew_report "$__mfaenv_follow.$fish_pid.$MFAENV_EXPIRES.err"
    __MFAENV_STASH="$__mfaenv_stash" MFAENV_NO_PROMPT=1 command sh -c '"$@" </dev/null >/dev/null 2>&1 &' sh @MFAENV@ sh-renew --shell fish $__mfaenv_follow $__mfaenv_renew_report $margin
end

# Before each prompt. One more check of the same kind (a comparison of two variables)
# costs microseconds.
function __mfaenv_prompt_hook --on-event fish_prompt
    set -g __mfaenv_time
    __mfaenv_profile_check
    __mfaenv_follow_check
    __mfaenv_renew_check
    __mfaenv_ended_check
end
