"""RFC 2136 dynamic updates signed with TSIG, and queries, to the authoritative
server (dnspython). Any server that takes signed updates works: BIND, Knot, PowerDNS.

dnspython's exceptions and the refusing rcodes become DnsError here, with stable codes:
`dns_unavailable` (timeout, connection refused), `dns_refused` (REFUSED: the policy
does not grant the key this name or type), `dns_not_authoritative` (NOTAUTH: not a zone
of this server), `dns_bad_key`, `dns_bad_signature`, `dns_bad_time` (TSIG refused: an
unknown key, a wrong secret, clocks apart by more than the fudge), `dns_server_error`
(any other rcode). Names and values go in and come out lower case, without the
trailing dot."""
from __future__ import annotations

from dataclasses import dataclass

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring
import dns.update

from infra.dns_names import normalise, zone_of
from infra.errors import DnsError, DnsUnavailable

TSIG_ERRORS = {
    dns.tsig.PeerBadKey: "dns_bad_key",
    dns.tsig.PeerBadSignature: "dns_bad_signature",
    dns.tsig.PeerBadTime: "dns_bad_time",
    dns.tsig.PeerBadTruncation: "dns_bad_signature",
}
RCODES = {dns.rcode.REFUSED: "dns_refused", dns.rcode.NOTAUTH: "dns_not_authoritative"}


@dataclass(frozen=True)
class RRset:
    type: str
    ttl: int
    values: tuple[str, ...]


class DnsClient:
    def __init__(self, server: str, port: int, zones: tuple[str, ...], key_name: str = "", secret: str = "",
                 timeout: float = 3.0):
        self.server, self.port, self.timeout = server, port, timeout
        self.zones = tuple(normalise(z) for z in zones)
        self.keyring = dns.tsigkeyring.from_text({key_name: secret}) if key_name and secret else None
        self.key_name = key_name

    def rrsets(self, name: str) -> dict[str, RRset]:
        """Every record set at the name: an ANY query, which BIND answers in full (over TCP
        when the answer is truncated)."""
        return {r.type: r for r in self._query(name, "ANY")}

    def rrset(self, name: str, rtype: str) -> RRset | None:
        found = [r for r in self._query(name, rtype) if r.type == rtype]
        return found[0] if found else None

    def replace(self, name: str, rtype: str, ttl: int, value: str) -> None:
        """The name's record set of that type becomes exactly this one record (one update message)."""
        update = self._update(name)
        update.replace(_absolute(name), ttl, rtype, _rdata_text(rtype, value))
        self._send(update)

    def delete(self, name: str, rtype: str, value: str) -> None:
        """Deletes this one record; others of the type at the name are left alone."""
        update = self._update(name)
        update.delete(_absolute(name), rtype, _rdata_text(rtype, value))
        self._send(update)

    def _update(self, name: str) -> dns.update.UpdateMessage:
        zone = zone_of(name, self.zones)
        if zone is None:
            raise DnsError(f"{name} is in none of the zones {', '.join(self.zones)}", code="dns_not_authoritative")
        return dns.update.UpdateMessage(_absolute(zone), keyring=self.keyring, keyname=self.key_name or None,
                                        keyalgorithm=dns.tsig.HMAC_SHA256)

    def _send(self, update: dns.update.UpdateMessage) -> None:
        response = self._exchange(update, tcp=True)
        _check_rcode(response, "update")

    def _query(self, name: str, rtype: str, tcp: bool = False) -> list[RRset]:
        query = dns.message.make_query(_absolute(name), rtype)
        response = self._exchange(query, tcp)
        if response.rcode() == dns.rcode.NXDOMAIN:
            return []
        _check_rcode(response, "query")
        return [_rrset(r) for r in response.answer if r.rdclass == dns.rdataclass.IN]

    def _exchange(self, message: dns.message.Message, tcp: bool) -> dns.message.Message:
        try:
            if tcp:
                return dns.query.tcp(message, self.server, port=self.port, timeout=self.timeout)
            return dns.query.udp_with_fallback(message, self.server, port=self.port, timeout=self.timeout)[0]
        except tuple(TSIG_ERRORS) as exc:
            raise DnsError(f"the DNS server refused the TSIG key {self.key_name!r}: {exc}",
                           code=TSIG_ERRORS[type(exc)]) from exc
        except (dns.exception.Timeout, OSError, EOFError) as exc:
            raise DnsUnavailable(f"DNS server {self.server}:{self.port} unreachable: "
                                 f"{exc or type(exc).__name__}") from exc
        except dns.exception.DNSException as exc:
            raise DnsError(f"DNS exchange with {self.server}:{self.port} failed: {exc}",
                           code="dns_server_error") from exc


def _check_rcode(response: dns.message.Message, what: str) -> None:
    rcode = response.rcode()
    if rcode == dns.rcode.NOERROR:
        return
    text = dns.rcode.to_text(rcode)
    raise DnsError(f"the DNS server answered the {what} with {text}", code=RCODES.get(rcode, "dns_server_error"),
                   details={"rcode": text})


def _rrset(rrset) -> RRset:
    rtype = dns.rdatatype.to_text(rrset.rdtype)
    return RRset(rtype, rrset.ttl, tuple(sorted(normalise(r.to_text()) for r in rrset)))


def _absolute(name: str) -> str:
    return normalise(name) + "."


def _rdata_text(rtype: str, value: str) -> str:
    """Targets of CNAME and PTR are absolute names."""
    return _absolute(value) if rtype in {"CNAME", "PTR"} else value
