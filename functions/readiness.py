"""How a host's guest proves it is up: a strategy per image, from its properties.

    agent   the QEMU guest agent answers `guest-ping`, then reports the host's name and
            every address hostflow leased it (`guest-get-host-name`,
            `guest-network-get-interfaces`): images that declare
            `hw_qemu_guest_agent=yes`, as Glance and Nova read it
    serial  the `HOSTFLOW-STATE` line the test guest prints on its serial console
            (its image says `hostflow_readiness=serial`)
    phone_home
            the guest posts to the control plane's phone-home endpoint at the end of
            every boot (a per-boot script cloud-init installs from the vendor-data),
            from a leased address, with its host name: images with cloud-init and no
            agent that say `hostflow_readiness=phone_home`. Nothing more of the guest
            can be asked, so volume and resize checks are skipped as for `none`.
    none    nothing in the guest can tell: the host is up once its domain runs, and
            the step's result says `readiness: none`

`hostflow_readiness` (agent, serial, phone_home or none) on an image overrides the rest.
`hostflow_boot_timeout` (seconds) on an image sets how long its guest is waited for: an
image that takes long to boot, or one known to fail fast, instead of the node's default."""
from __future__ import annotations

STRATEGIES = ("agent", "serial", "phone_home", "none")
YES = frozenset({"yes", "true", "1", "on"})


def strategy(properties: dict) -> str:
    explicit = properties.get("hostflow_readiness")
    if explicit in STRATEGIES:
        return explicit
    if str(properties.get("hw_qemu_guest_agent", "")).lower() in YES:
        return "agent"
    return "none"


def in_guest(how: str) -> str:
    """How a check inside the running guest (a volume seen, a new size) is made: by the
    agent, by the serial line, or not at all."""
    return how if how in ("agent", "serial") else "none"


def boot_timeout(properties: dict, most: float) -> float | None:
    """The image's own wait for its guest, at most `most` seconds; None when it has none
    (or one that is no positive number of seconds)."""
    try:
        seconds = float(properties.get("hostflow_boot_timeout", ""))
    except ValueError:
        return None
    return min(seconds, most) if seconds > 0 else None
