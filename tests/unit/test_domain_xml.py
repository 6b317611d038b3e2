import xml.etree.ElementTree as ET

from infra.domain_xml import DomainSpec, Nic, build, domain_name, read_metadata


def spec(**over):
    base = dict(name=domain_name("h1"), host_id="h1", operation_id="op1", project="p", stack="test", vcpus=2,
                ram_mb=256, virt_type="qemu", root_disk="/r/disk.qcow2", config_drive="/r/config.iso",
                console_log="/r/console.log", nics=(Nic("52:54:00:00:00:01", "br0"),), kernel="/k",
                ramdisk="/i", cmdline="console=ttyS0")
    base.update(over)
    return DomainSpec(**base)


def test_domain_name_comes_from_host_id():
    assert domain_name("abc") == "hf-abc"


def test_xml_carries_type_vcpus_memory_and_acpi_apic():
    root = ET.fromstring(build(spec()))
    assert root.get("type") == "qemu"
    assert root.findtext("vcpu") == "2"
    assert root.find("memory").get("unit") == "MiB" and root.findtext("memory") == "256"
    assert root.find("features/acpi") is not None and root.find("features/apic") is not None


def test_xml_has_disks_nic_and_serial_log():
    root = ET.fromstring(build(spec()))
    disks = root.findall("devices/disk")
    assert [d.find("source").get("file") for d in disks] == ["/r/disk.qcow2", "/r/config.iso"]
    assert disks[1].find("readonly") is not None
    nic = root.find("devices/interface")
    assert nic.find("source").get("bridge") == "br0" and nic.find("mac").get("address") == "52:54:00:00:00:01"
    assert root.find("devices/serial/log").get("file") == "/r/console.log"


def test_every_domain_has_the_guest_agent_channel():
    """Whether the guest runs an agent is the image's business; the channel costs nothing."""
    for boot in ({}, {"kernel": None, "ramdisk": None, "cmdline": None}):
        [channel] = ET.fromstring(build(spec(**boot))).findall("devices/channel")
        assert channel.get("type") == "unix"
        assert channel.find("target").attrib == {"type": "virtio", "name": "org.qemu.guest_agent.0"}


def test_direct_kernel_boot_when_kernel_given():
    root = ET.fromstring(build(spec()))
    assert root.findtext("os/kernel") == "/k" and root.findtext("os/initrd") == "/i"
    assert root.findtext("os/cmdline") == "console=ttyS0"


def test_boot_from_disk_without_kernel():
    root = ET.fromstring(build(spec(kernel=None, ramdisk=None)))
    assert root.find("os/kernel") is None and root.find("os/boot").get("dev") == "hd"


def test_hostile_text_is_escaped_not_interpreted():
    xml = build(spec(project="<x>&'\"", cmdline="a</cmdline><evil/>"))
    root = ET.fromstring(xml)
    assert root.find(".//evil") is None
    assert read_metadata(xml)["project"] == "<x>&'\""


def test_metadata_marks_round_trip():
    marks = read_metadata(build(spec()))
    assert marks == {"stack": "test", "host": "h1", "operation": "op1", "project": "p"}


def test_no_metadata_reads_empty():
    assert read_metadata("<domain><name>x</name></domain>") == {}


def test_a_nic_with_its_recorded_address_gets_the_clean_traffic_filter():
    root = ET.fromstring(build(spec(nics=(Nic("52:54:00:00:00:01", "br0", "10.213.0.7"),))))
    ref = root.find("devices/interface/filterref")
    assert ref.get("filter") == "clean-traffic"
    assert [(p.get("name"), p.get("value")) for p in ref.findall("parameter")] == [("IP", "10.213.0.7")]


def test_a_nic_without_an_address_has_no_filter():
    assert ET.fromstring(build(spec())).find("devices/interface/filterref") is None


def test_a_host_from_an_iso_boots_its_cdrom_first_then_its_disk():
    root = ET.fromstring(build(spec(kernel=None, ramdisk=None, cmdline=None, cdrom="/c/live.iso")))
    [cdrom] = root.findall("devices/disk[@device='cdrom']")
    assert cdrom.find("source").get("file") == "/c/live.iso" and cdrom.find("readonly") is not None
    assert [b.get("dev") for b in root.findall("os/boot")] == ["cdrom", "hd"]


def test_without_an_iso_there_is_no_cdrom():
    root = ET.fromstring(build(spec(kernel=None, ramdisk=None, cmdline=None)))
    assert root.findall("devices/disk[@device='cdrom']") == []
    assert [b.get("dev") for b in root.findall("os/boot")] == ["hd"]
