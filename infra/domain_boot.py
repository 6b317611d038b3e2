"""The boot part (`<os>`) of an existing domain definition, read and replaced alone:
a rebuild changes how a host boots without redefining the rest (attached volumes,
NICs, config drive stay as they are)."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from infra import domain_xml  # noqa: F401 - registers the hostflow metadata namespace for round trips

BOOT_TAGS = ("kernel", "initrd", "cmdline")


def read_boot(xml: str) -> dict:
    """{"kernel", "initrd", "cmdline"}: paths and command line of a direct kernel boot, None where absent."""
    os_el = ET.fromstring(xml).find("os")
    return {tag: None if os_el is None else os_el.findtext(tag) for tag in BOOT_TAGS}


def with_boot(xml: str, boot: dict) -> str:
    """The definition with `<os>` booting as `boot` says: direct kernel boot when it names a
    kernel, else from the disk (`<boot dev="hd"/>`). Everything else is kept."""
    root = ET.fromstring(xml)
    os_el = root.find("os")
    if os_el is None:
        raise ValueError("domain definition has no <os> element")
    for child in [c for c in os_el if c.tag in (*BOOT_TAGS, "boot")]:
        os_el.remove(child)
    if boot.get("kernel"):
        for tag in BOOT_TAGS:
            if boot.get(tag):
                ET.SubElement(os_el, tag).text = boot[tag]
    else:
        ET.SubElement(os_el, "boot", {"dev": "hd"})
    return ET.tostring(root, encoding="unicode")
