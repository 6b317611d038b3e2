"""The command grammar, one parser for the chat bots and the `hostflow` CLI.

Pure: words in, a `Command` out (what the operator asked for), or a `UsageError` that
carries the usage help. It imports nothing of hostflow, which is why chat may use it:
the CLI turns a command into API calls (`cli.calls`), chat into service calls. Hosts
are named by the operator; whoever runs the command resolves the name to the host."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

DEFAULT_ENV = "test"
DEFAULT_IMAGE = "hostflow-test"
DEFAULT_DISK_GB = 1

NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
HOST_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
FQDN = re.compile(r"^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?$")
FLAVOR = re.compile(r"^(\d{1,4})c(\d{1,7}(?:\.\d{1,4})?)([gm])$")
SIZE = re.compile(r"^(\d{1,6})g$")
OPTION = re.compile(r"^([a-z_]+)=(.*)$")

# Verbs whose endpoint does not exist yet: parse() answers with this message and starts nothing.
NOT_BUILT: dict[str, str] = {}


@dataclass(frozen=True)
class Defaults:
    env: str = DEFAULT_ENV
    image: str = DEFAULT_IMAGE
    disk_gb: int = DEFAULT_DISK_GB


READS = frozenset({"status", "hosts", "help"})


@dataclass(frozen=True)
class Command:
    """What the operator asked for, as intent: each face makes its own calls from it (the
    CLI's HTTP requests in `cli.calls`, chat's service calls in `webhooks.chat.actions`)."""

    verb: str
    host: str | None = None  # a host's name (or id), resolved by whoever runs the command
    env: str | None = None  # narrows that resolution; filters `hosts`
    volume: str | None = None  # a volume's id or name among the host's volumes
    args: dict = field(default_factory=dict)  # what the verb needs besides: a flavor, a size, a name

    @property
    def changes(self) -> bool:
        return self.verb not in READS


class UsageError(ValueError):
    def __init__(self, message: str, usage: str | None = None):
        super().__init__(message)
        self.message = message
        self.usage = usage_text() if usage is None else usage

    def __str__(self) -> str:
        return f"{self.message}\n\n{self.usage}" if self.usage else self.message


class NotBuilt(UsageError):
    def __init__(self, verb: str):
        super().__init__(f"`{verb}` is not built yet: {NOT_BUILT[verb]}", usage="")


def usage_text(defaults: Defaults = Defaults()) -> str:
    width = max(len(form) for form, _ in USAGE)
    lines = [f"  {form:{width}}  {what}" for form, what in USAGE]
    tail = (f"Defaults: env={defaults.env}, image={defaults.image}, disk={defaults.disk_gb}g. "
            "<ram> is GiB (or MiB with m: 1c512m). Add env=<env> after a host's name when "
            "two environments have one of that name.")
    return "usage:\n" + "\n".join(lines) + "\n" + tail


USAGE = (
    ("allocate <name> <vcpus>c<ram>g [disk=<gb>g] [env=<env>] [image=<image>]", "allocate a host"),
    ("reclaim <name>", "reclaim a host (its volumes are detached, kept)"),
    ("resize <name> <vcpus>c<ram>g [disk=<gb>g]", "resize a host (disk: kept unless given)"),
    ("resize <name> confirm|revert", "confirm or revert a resize in verify_resize"),
    ("start|stop|suspend|resume|pause|unpause <name>", "a power action on a host"),
    ("stop <name> force", "power a host off at once, without a clean shutdown"),
    ("reboot <name> [hard]", "reboot a host: a clean shutdown first, or at once with hard"),
    ("attach <name> <size>g", "create a volume on the host's hypervisor, then attach it"),
    ("attach <name> volume=<id>", "attach an existing volume"),
    ("detach <name> <volume>", "detach a volume (id or name)"),
    ("rebuild <name> <image-or-snapshot>", "rebuild a host from an image (id or name)"),
    ("snapshot <name> <snapshot-name>", "snapshot a host's root disk into a new image"),
    ("dns <name> <fqdn>", "register a business name (CNAME) for a host"),
    ("status <operation>", "show an operation and its steps"),
    ("hosts [env=<env>]", "list hosts"),
    ("help", "this help"),
)


def parse(text: str | list[str], defaults: Defaults = Defaults()) -> Command:
    words = text.split() if isinstance(text, str) else list(text)
    if not words:
        raise UsageError("no command given")
    verb, rest = words[0].lower(), words[1:]
    if verb in NOT_BUILT:
        raise NotBuilt(verb)
    if verb not in PARSERS:
        raise UsageError(f"unknown command {words[0]!r}")
    positional, options = _split(rest)
    return PARSERS[verb](positional, options, defaults)


def _split(words: list[str]) -> tuple[list[str], dict[str, str]]:
    positional, options = [], {}
    for word in words:
        match = OPTION.match(word)
        if not match:
            positional.append(word)
            continue
        key, value = match.groups()
        if key in options:
            raise UsageError(f"{key}= given twice")
        if not value:
            raise UsageError(f"{key}= needs a value")
        options[key] = value
    return positional, options


def _expect(verb: str, positional: list[str], names: tuple[str, ...], options: dict, allowed: set[str]) -> None:
    if len(positional) != len(names):
        wanted = " ".join(names)
        raise UsageError(f"{verb} takes {wanted}" if names else f"{verb} takes no arguments")
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise UsageError(f"{verb} does not take {unknown[0]}=")


def flavor(word: str) -> tuple[int, int]:
    """`2c4g` -> (2, 4096); `1c0.5g` and `1c512m` -> (1, 512). RAM must be whole MiB."""
    match = FLAVOR.match(word.lower())
    if not match:
        raise UsageError(f"{word!r} is not a flavor: <vcpus>c<ram>g, e.g. 2c4g (or 1c512m)")
    vcpus, amount, unit = int(match[1]), Decimal(match[2]), match[3]
    ram_mb = amount * 1024 if unit == "g" else amount
    if vcpus < 1 or ram_mb <= 0 or ram_mb != ram_mb.to_integral_value():
        raise UsageError(f"{word!r}: vCPUs and RAM must be at least 1, and RAM a whole number of MiB")
    return vcpus, int(ram_mb)


def size_gb(word: str, what: str) -> int:
    match = SIZE.match(word.lower())
    if not match or int(match[1]) < 1:
        raise UsageError(f"{what} {word!r} is not a size: a whole number of GiB, e.g. 10g")
    return int(match[1])


def _name(word: str, what: str = "name") -> str:
    if not NAME.match(word):
        raise UsageError(f"{what} {word!r} must be a DNS label: a-z, 0-9 and -, at most 63")
    return word


def _host(word: str) -> str:
    if not HOST_REF.match(word):
        raise UsageError(f"{word!r} is not a host name or id")
    return word


def _env(options: dict) -> str | None:
    return _name(options["env"], "env") if "env" in options else None


def _on_host(verb: str, positional: list[str], options: dict, volume: str | None = None, **args) -> Command:
    return Command(verb, host=_host(positional[0]), env=_env(options), volume=volume, args=args)


def parse_allocate(positional, options, defaults: Defaults) -> Command:
    _expect("allocate", positional, ("<name>", "<vcpus>c<ram>g"), options, {"disk", "env", "image"})
    name, (vcpus, ram_mb) = _name(positional[0]), flavor(positional[1])
    disk = size_gb(options["disk"], "disk") if "disk" in options else defaults.disk_gb
    body = {"name": name, "env": _env(options) or defaults.env, "image": options.get("image", defaults.image),
            "flavor": {"vcpus": vcpus, "ram_mb": ram_mb, "disk_gb": disk}}
    return Command("allocate", args=body)


def parse_reclaim(positional, options, defaults) -> Command:
    _expect("reclaim", positional, ("<name>",), options, {"env"})
    return _on_host("reclaim", positional, options)


def parse_resize(positional, options, defaults) -> Command:
    """`disk_gb` None: the host keeps its disk size."""
    if len(positional) == 2 and positional[1].lower() in {"confirm", "revert"}:
        _expect("resize", positional, ("<name>", "confirm|revert"), options, {"env"})
        return _on_host("resize", positional, options, answer=positional[1].lower())
    _expect("resize", positional, ("<name>", "<vcpus>c<ram>g"), options, {"disk", "env"})
    vcpus, ram_mb = flavor(positional[1])
    disk = size_gb(options["disk"], "disk") if "disk" in options else None
    return _on_host("resize", positional, options, flavor={"vcpus": vcpus, "ram_mb": ram_mb, "disk_gb": disk})


POWER_VERBS = ("start", "stop", "reboot", "suspend", "resume", "pause", "unpause")
FORCE_WORD = {"stop": "force", "reboot": "hard"}


def parse_power(verb: str):
    """`stop <name> force` and `reboot <name> hard` skip the clean shutdown."""

    def parse(positional, options, defaults) -> Command:
        word = FORCE_WORD.get(verb)
        if word and len(positional) == 2 and positional[1].lower() == word:
            _expect(verb, positional, ("<name>", word), options, {"env"})
            return _on_host(verb, positional, options, action=verb, force=True)
        _expect(verb, positional, ("<name>",), options, {"env"})
        return _on_host(verb, positional, options, action=verb, force=False)

    return parse


def parse_attach(positional, options, defaults) -> Command:
    if "volume" in options:
        _expect("attach", positional, ("<name>",), options, {"volume", "env"})
        return _on_host("attach", positional, options, volume_id=_host(options["volume"]))
    _expect("attach", positional, ("<name>", "<size>g"), options, {"env"})
    host, size = _host(positional[0]), size_gb(positional[1], "size")
    return _on_host("attach", positional, options, size_gb=size, name=volume_name(host))


def volume_name(host: str) -> str:
    """The name of a volume `attach <name> <size>g` creates: a DNS label from the host's."""
    base = re.sub(r"[^a-z0-9-]", "-", host.lower())[:57].strip("-") or "host"
    return f"{base}-data"


def parse_detach(positional, options, defaults) -> Command:
    _expect("detach", positional, ("<name>", "<volume>"), options, {"env"})
    return _on_host("detach", positional, options, volume=_host(positional[1]))


def parse_rebuild(positional, options, defaults) -> Command:
    _expect("rebuild", positional, ("<name>", "<image-or-snapshot>"), options, {"env"})
    return _on_host("rebuild", positional, options, image=positional[1])


def parse_snapshot(positional, options, defaults) -> Command:
    _expect("snapshot", positional, ("<name>", "<snapshot-name>"), options, {"env"})
    return _on_host("snapshot", positional, options, name=positional[1])


def parse_dns(positional, options, defaults) -> Command:
    _expect("dns", positional, ("<name>", "<fqdn>"), options, {"env"})
    if not FQDN.match(positional[1]) or len(positional[1]) > 254:
        raise UsageError(f"{positional[1]!r} is not a fully qualified domain name, e.g. shop.test.cloud.internal")
    return _on_host("dns", positional, options, fqdn=positional[1])


def parse_status(positional, options, defaults) -> Command:
    _expect("status", positional, ("<operation>",), options, set())
    op_id = positional[0]
    if not re.match(r"^[A-Za-z0-9-]{1,64}$", op_id):
        raise UsageError(f"{op_id!r} is not an operation id")
    return Command("status", args={"operation": op_id})


def parse_hosts(positional, options, defaults) -> Command:
    _expect("hosts", positional, (), options, {"env"})
    return Command("hosts", env=_env(options))


def parse_help(positional, options, defaults) -> Command:
    return Command("help")


PARSERS = {
    "allocate": parse_allocate, "reclaim": parse_reclaim, "resize": parse_resize, "attach": parse_attach,
    "detach": parse_detach, "rebuild": parse_rebuild, "snapshot": parse_snapshot, "dns": parse_dns,
    "status": parse_status, "hosts": parse_hosts, "help": parse_help,
    **{verb: parse_power(verb) for verb in POWER_VERBS},
}
VERBS = frozenset(PARSERS)
