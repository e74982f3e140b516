"""``mfaenv keys import --store STORE``: a profile's long-lived keys, moved into a store."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from mfaenv.clock import Clock
    from mfaenv.verbs import Args


def run(args: Args, clock: Clock) -> int:
    from mfaenv.env import SESSION, ShellState
    from mfaenv.keyimport import import_keys
    from mfaenv.keystore import KeyStore
    from mfaenv.profilefollow import acted_on_profile

    state = ShellState.from_process()
    profile, _ = acted_on_profile(args.profile, state)
    store = KeyStore.parse(str(args.store)).for_profile(profile)
    import_keys(profile, store, state.without(SESSION), clock)
    return 0
