//! Where a webhook may be sent: `https` (or `http` when allowed), and
//! never, unless allowed, to loopback, private, link-local, shared or
//! metadata addresses. Names are checked after resolution, by the resolver
//! the HTTP client connects with, so the address checked is the address
//! connected to.

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// What a webhook may reach.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    pub allow_http: bool,
    pub allow_private: bool,
}

/// Why a URL may not be a webhook's.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Refused {
    #[error("not a URL: {0}")]
    Malformed(String),
    #[error("only https URLs are allowed (the server allows http with --webhook-allow-http)")]
    Scheme,
    #[error("a URL with a user or password is not allowed")]
    Credentials,
    #[error(
        "{0} is a loopback, private, link-local or metadata address (the server allows them with --webhook-allow-private)"
    )]
    Address(IpAddr),
    #[error("{0} resolves to no address")]
    Unresolved(String),
}

impl Policy {
    /// Checks a URL's form and, when its host is an address, the address.
    /// A name's addresses are checked when it is resolved to connect
    /// ([`Policy::resolver`]) or by [`Policy::check_resolved`].
    pub fn check_url(&self, url: &str) -> Result<reqwest::Url, Refused> {
        let url = reqwest::Url::parse(url).map_err(|e| Refused::Malformed(e.to_string()))?;
        match url.scheme() {
            "https" => {}
            "http" if self.allow_http => {}
            _ => return Err(Refused::Scheme),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Refused::Credentials);
        }
        match url.host() {
            Some(url::Host::Ipv4(ip)) => self.check_ip(IpAddr::V4(ip))?,
            Some(url::Host::Ipv6(ip)) => self.check_ip(IpAddr::V6(ip))?,
            Some(url::Host::Domain(_)) => {}
            None => return Err(Refused::Malformed("no host".to_owned())),
        }
        Ok(url)
    }

    /// Checks a URL and every address its host resolves to now.
    pub async fn check_resolved(&self, url: &str) -> Result<reqwest::Url, Refused> {
        let parsed = self.check_url(url)?;
        if let Some(url::Host::Domain(name)) = parsed.host() {
            resolve(*self, name).await?;
        }
        Ok(parsed)
    }

    /// An address a webhook may reach.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), Refused> {
        if self.allow_private || is_public(ip) {
            Ok(())
        } else {
            Err(Refused::Address(ip))
        }
    }

    /// The resolver the webhook client connects with.
    pub fn resolver(self) -> std::sync::Arc<impl Resolve + 'static> {
        std::sync::Arc::new(CheckedResolver(self))
    }
}

/// Resolves a name and checks every address: one refused address refuses
/// the name, so that a name cannot mix a public and a private address.
async fn resolve(policy: Policy, name: &str) -> Result<Vec<SocketAddr>, Refused> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((name, 0))
        .await
        .map_err(|_| Refused::Unresolved(name.to_owned()))?
        .collect();
    if addrs.is_empty() {
        return Err(Refused::Unresolved(name.to_owned()));
    }
    for addr in &addrs {
        policy.check_ip(addr.ip())?;
    }
    Ok(addrs)
}

pub struct CheckedResolver(Policy);

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.0;
        Box::pin(async move {
            let addrs = resolve(policy, name.as_str()).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// Whether an address is on the public internet: not loopback, private,
/// link-local (cloud metadata lives there), shared (CGNAT), unspecified,
/// broadcast, multicast or documentation space; IPv4 inside IPv6 is judged
/// as IPv4.
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0)
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || first == 0x2001 && ip.segments()[1] == 0x0db8
        || first == 0x0064 && ip.segments()[1] == 0xff9b)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: Policy = Policy {
        allow_http: false,
        allow_private: false,
    };

    #[test]
    fn private_and_metadata_addresses_are_refused() {
        for ip in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00:ec2::254",
            "::ffff:10.0.0.1",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(STRICT.check_ip(ip), Err(Refused::Address(ip)));
        }
        for ip in ["93.184.215.14", "2606:4700::1111"] {
            assert_eq!(STRICT.check_ip(ip.parse().unwrap()), Ok(()));
        }
    }

    #[test]
    fn only_https_unless_http_is_allowed() {
        assert_eq!(
            STRICT.check_url("http://example.org/hook").err(),
            Some(Refused::Scheme)
        );
        assert!(STRICT.check_url("https://example.org/hook").is_ok());
        assert_eq!(
            STRICT.check_url("https://u:p@example.org/").err(),
            Some(Refused::Credentials)
        );
        assert!(matches!(
            STRICT.check_url("https://10.0.0.1/").err(),
            Some(Refused::Address(_))
        ));
    }
}
