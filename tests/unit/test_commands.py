"""The command grammar (cli.grammar): what each form asks for, the CLI's API calls for it
(cli.calls), and what the grammar refuses."""
import pytest

from cli.calls import Call, Ref, calls
from cli.grammar import (
    NOT_BUILT,
    Command,
    Defaults,
    NotBuilt,
    UsageError,
    flavor,
    parse,
    size_gb,
    usage_text,
    volume_name,
)


def test_allocate_with_defaults():
    body = {"name": "web1", "env": "test", "image": "hostflow-test",
            "flavor": {"vcpus": 2, "ram_mb": 4096, "disk_gb": 1}}
    assert parse("allocate web1 2c4g") == Command("allocate", args=body)
    assert calls(parse("allocate web1 2c4g")) == (Call("POST", "/v1/hosts", body),)


def test_allocate_with_every_option_in_any_order():
    command = parse("allocate db2 4c16g image=debian-12 env=prod disk=40g")
    assert calls(command)[0].body == {"name": "db2", "env": "prod", "image": "debian-12",
                                     "flavor": {"vcpus": 4, "ram_mb": 16384, "disk_gb": 40}}
    assert command.host is None and command.changes


def test_allocate_defaults_come_from_the_caller():
    body = parse("allocate web1 1c1g", Defaults(env="dev", image="base", disk_gb=5)).args
    assert (body["env"], body["image"], body["flavor"]["disk_gb"]) == ("dev", "base", 5)


def test_the_cli_passes_words_and_chat_passes_text_alike():
    assert parse(["allocate", "web1", "2c4g", "env=test"]) == parse("  allocate   web1 2c4g env=test ")


def test_reclaim_names_the_host_to_resolve():
    assert parse("reclaim web1") == Command("reclaim", host="web1")
    assert calls(parse("reclaim web1")) == (Call("DELETE", "/v1/hosts/{host.id}"),)


def test_env_narrows_the_host_resolution():
    command = parse("reclaim web1 env=prod")
    assert (command.host, command.env) == ("web1", "prod")


def test_resize_keeps_the_hosts_disk_unless_given():
    command = parse("resize web1 4c8g")
    assert command.host == "web1" and command.args["flavor"]["disk_gb"] is None
    assert calls(command) == (Call("POST", "/v1/hosts/{host.id}/resize", {
        "flavor": {"vcpus": 4, "ram_mb": 8192, "disk_gb": Ref("host.flavor.disk_gb")}}),)
    assert calls(parse("resize web1 4c8g disk=20g"))[0].body["flavor"]["disk_gb"] == 20


@pytest.mark.parametrize("word", ["confirm", "revert", "CONFIRM"])
def test_resize_confirm_and_revert(word):
    call = calls(parse(f"resize web1 {word}"))[0]
    assert call == Call("POST", f"/v1/hosts/{{host.id}}/resize/{word.lower()}")


def test_attach_a_new_volume_creates_it_on_the_hosts_node_then_attaches_it():
    command = parse("attach web1 10g")
    create, attach = calls(command)
    assert create == Call("POST", "/v1/volumes", {
        "name": "web1-data", "size_gb": 10, "env": Ref("host.env"), "project": Ref("host.project"),
        "hypervisor": Ref("host.hypervisor")}, await_success=True)
    assert attach == Call("POST", "/v1/hosts/{host.id}/volumes", {"volume_id": Ref("volume.id")})
    assert not attach.await_success


def test_attach_an_existing_volume():
    command = parse("attach web1 volume=0f3c-77")
    assert calls(command) == (Call("POST", "/v1/hosts/{host.id}/volumes", {"volume_id": "0f3c-77"}),)


def test_detach_names_the_volume_to_resolve_among_the_hosts():
    command = parse("detach web1 data")
    assert (command.host, command.volume) == ("web1", "data")
    assert calls(command) == (Call("DELETE", "/v1/hosts/{host.id}/volumes/{volume.id}"),)


def test_rebuild_snapshot_and_dns():
    assert calls(parse("rebuild web1 web1-golden")) == (
        Call("POST", "/v1/hosts/{host.id}/rebuild", {"image": "web1-golden"}),)
    assert calls(parse("snapshot web1 before-upgrade")) == (
        Call("POST", "/v1/hosts/{host.id}/snapshot", {"name": "before-upgrade"}),)
    assert calls(parse("dns web1 shop.test.cloud.internal")) == (
        Call("POST", "/v1/hosts/{host.id}/names", {"fqdn": "shop.test.cloud.internal", "type": "CNAME"}),)


def test_status_hosts_and_help_change_nothing():
    status = parse("status 1b4e28ba-2fa1-11d2-883f-0016d3cca427")
    assert calls(status) == (Call("GET", "/v1/operations/1b4e28ba-2fa1-11d2-883f-0016d3cca427"),)
    assert parse("hosts") == Command("hosts")
    assert calls(parse("hosts")) == (Call("GET", "/v1/hosts"),)
    assert parse("hosts env=prod").env == "prod"
    assert parse("help") == Command("help") and calls(parse("help")) == ()
    assert not any(parse(t).changes for t in ("status x1", "hosts", "help"))


def test_verbs_are_case_insensitive():
    assert parse("ALLOCATE web1 2C4G") == parse("allocate web1 2c4g")


@pytest.mark.parametrize("text, message", [
    ("", "no command given"),
    ("launch web1 2c4g", "unknown command 'launch'"),
    ("allocate web1", "allocate takes <name> <vcpus>c<ram>g"),
    ("allocate web1 2c4g extra", "allocate takes <name> <vcpus>c<ram>g"),
    ("allocate Web_1 2c4g", "must be a DNS label"),
    ("allocate web1 2c4g size=3g", "allocate does not take size="),
    ("allocate web1 2c4g env=a env=b", "env= given twice"),
    ("allocate web1 2c4g env=", "env= needs a value"),
    ("allocate web1 2c4g env=Prod!", "must be a DNS label"),
    ("allocate web1 2c4g disk=1.5g", "disk '1.5g' is not a size"),
    ("reclaim", "reclaim takes <name>"),
    ("reclaim web1 now", "reclaim takes <name>"),
    ("reclaim web1 disk=2g", "reclaim does not take disk="),
    ("resize web1", "resize takes <name> <vcpus>c<ram>g"),
    ("resize web1 4c8g image=x", "resize does not take image="),
    ("attach web1", "attach takes <name> <size>g"),
    ("attach web1 10", "size '10' is not a size"),
    ("attach web1 10g volume=v1", "attach takes <name>"),
    ("detach web1", "detach takes <name> <volume>"),
    ("rebuild web1", "rebuild takes <name> <image-or-snapshot>"),
    ("snapshot web1", "snapshot takes <name> <snapshot-name>"),
    ("dns web1 not_a_name", "is not a fully qualified domain name"),
    ("dns web1 shop", "is not a fully qualified domain name"),
    ("status", "status takes <operation>"),
    ("status ../hosts", "is not an operation id"),
    ("hosts test", "hosts takes no arguments"),
    ("reclaim {host.id}", "is not a host name or id"),
])
def test_malformed_commands_are_refused_with_the_usage(text, message):
    with pytest.raises(UsageError) as refused:
        parse(text)
    assert message in refused.value.message
    assert str(refused.value).endswith(usage_text())


@pytest.mark.parametrize("word, expected", [
    ("2c4g", (2, 4096)), ("1c1g", (1, 1024)), ("1c0.5g", (1, 512)), ("1c0.25g", (1, 256)),
    ("1c512m", (1, 512)), ("16C64G", (16, 65536)), ("02c04g", (2, 4096)),
])
def test_flavors(word, expected):
    assert flavor(word) == expected


@pytest.mark.parametrize("word", [
    "0c4g", "2c0g", "2c0m", "2c", "c4g", "2c4", "2c4t", "2x4g", "-1c4g", "2c-4g", "2c4.g", "1c0.1g",
    "1c512.5m", "2c4gg", "2c 4g", "two-c4g", "99999c4g",
])
def test_malformed_flavors(word):
    with pytest.raises(UsageError):
        flavor(word)


@pytest.mark.parametrize("word, expected", [("1g", 1), ("10g", 10), ("10G", 10), ("010g", 10)])
def test_sizes(word, expected):
    assert size_gb(word, "size") == expected


@pytest.mark.parametrize("word", ["0g", "10", "10m", "1.5g", "-1g", "g", "10gb", "1234567g"])
def test_malformed_sizes(word):
    with pytest.raises(UsageError):
        size_gb(word, "size")


@pytest.mark.parametrize("host, expected", [
    ("web1", "web1-data"), ("x" * 63, "x" * 57 + "-data"), ("a" * 56 + "-b", "a" * 56 + "-data"),
    ("Web.1", "web-1-data"),
])
def test_volume_names_are_dns_labels(host, expected):
    assert volume_name(host) == expected


def test_a_command_not_built_says_so_and_shows_no_usage(monkeypatch):
    monkeypatch.setitem(NOT_BUILT, "approve", "approvals come with the approval policy")
    with pytest.raises(NotBuilt) as refused:
        parse("approve 1234")
    assert str(refused.value) == "`approve` is not built yet: approvals come with the approval policy"


def test_every_verb_of_the_issue_is_built():
    assert NOT_BUILT == {}


def test_usage_names_every_form_and_the_defaults():
    text = usage_text()
    for form in ("allocate <name> <vcpus>c<ram>g [disk=<gb>g] [env=<env>] [image=<image>]", "reclaim <name>",
                 "resize <name> <vcpus>c<ram>g [disk=<gb>g]", "attach <name> <size>g", "attach <name> volume=<id>",
                 "detach <name> <volume>", "rebuild <name> <image-or-snapshot>", "snapshot <name> <snapshot-name>",
                 "dns <name> <fqdn>", "status <operation>", "hosts [env=<env>]", "help"):
        assert f"  {form} " in text
    assert "env=test, image=hostflow-test, disk=1g" in text
