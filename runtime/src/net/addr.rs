//! [`ToSocketAddrs`]: the addresses `TcpStream::connect` accepts, with names resolved off the
//! loop.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// What [`TcpStream::connect`](super::TcpStream::connect) accepts: the same types as
/// [`std::net::ToSocketAddrs`] (`"localhost:8080"`, `("example.com", 80)`, a `SocketAddr`, a
/// slice of them, ...). Numeric addresses are parsed at once; a host name is resolved on a
/// thread of the blocking pool ([`to_thread`](crate::to_thread)), so the loop keeps running
/// other tasks while the name service answers.
///
/// The trait is sealed: its method is jobloop's business. Implement `std::net::ToSocketAddrs`
/// for a type of your own and pass the resolved `SocketAddr`s (a `&[SocketAddr]`).
///
/// ```
/// use jobloop_runtime::net::{TcpListener, TcpStream};
/// use jobloop_runtime::EventLoop;
///
/// EventLoop::new().block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
///     let addr = listener.local_addr().unwrap();
///     TcpStream::connect(addr).await.unwrap();
///     TcpStream::connect(format!("127.0.0.1:{}", addr.port())).await.unwrap();
///     TcpStream::connect(("localhost", addr.port())).await.unwrap();
/// });
/// ```
pub trait ToSocketAddrs: sealed::Sealed {}

pub(crate) mod sealed {
    use super::Addrs;

    pub trait Sealed {
        /// The addresses, or the name to resolve.
        fn to_addrs(&self) -> std::io::Result<Addrs>;
    }
}

/// Addresses, known or still to be resolved.
pub enum Addrs {
    Known(Vec<std::net::SocketAddr>),
    /// `host:port` (or `[v6]:port`), as `std` resolves it.
    Name(String),
}

impl Addrs {
    /// The addresses, a name resolved on the blocking pool.
    pub(crate) async fn resolve(self) -> io::Result<Vec<SocketAddr>> {
        match self {
            Addrs::Known(addrs) => Ok(addrs),
            Addrs::Name(name) => {
                crate::to_thread(move || {
                    use std::net::ToSocketAddrs as _;
                    match name.to_socket_addrs() {
                        Ok(addrs) => {
                            let addrs: Vec<SocketAddr> = addrs.collect();
                            if addrs.is_empty() {
                                Err(io::Error::new(
                                    io::ErrorKind::NotFound,
                                    format!("`{name}` resolved to no address"),
                                ))
                            } else {
                                Ok(addrs)
                            }
                        }
                        Err(error) => Err(io::Error::new(
                            error.kind(),
                            format!("could not resolve `{name}`: {error}"),
                        )),
                    }
                })
                .await
            }
        }
    }
}

fn known(addr: impl Into<SocketAddr>) -> io::Result<Addrs> {
    Ok(Addrs::Known(vec![addr.into()]))
}

/// `host:port`: parsed when numeric, resolved later otherwise.
fn name(host_port: &str) -> io::Result<Addrs> {
    match host_port.parse::<SocketAddr>() {
        Ok(addr) => known(addr),
        Err(_) if host_port.rsplit_once(':').is_some() => Ok(Addrs::Name(host_port.to_owned())),
        Err(_) => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("`{host_port}` is not an address: write `host:port`, such as `localhost:8080`"),
        )),
    }
}

fn host_and_port(host: &str, port: u16) -> io::Result<Addrs> {
    match host.parse::<IpAddr>() {
        Ok(ip) => known((ip, port)),
        Err(_) => Ok(Addrs::Name(format!("{host}:{port}"))),
    }
}

macro_rules! known_addrs {
    ($($ty:ty),*) => {$(
        impl ToSocketAddrs for $ty {}
        impl sealed::Sealed for $ty {
            fn to_addrs(&self) -> io::Result<Addrs> {
                known(*self)
            }
        }
    )*};
}

known_addrs!(
    SocketAddr,
    SocketAddrV4,
    SocketAddrV6,
    (IpAddr, u16),
    (Ipv4Addr, u16),
    (Ipv6Addr, u16)
);

impl ToSocketAddrs for str {}
impl sealed::Sealed for str {
    fn to_addrs(&self) -> io::Result<Addrs> {
        name(self)
    }
}

impl ToSocketAddrs for String {}
impl sealed::Sealed for String {
    fn to_addrs(&self) -> io::Result<Addrs> {
        name(self)
    }
}

impl ToSocketAddrs for (&str, u16) {}
impl sealed::Sealed for (&str, u16) {
    fn to_addrs(&self) -> io::Result<Addrs> {
        host_and_port(self.0, self.1)
    }
}

impl ToSocketAddrs for (String, u16) {}
impl sealed::Sealed for (String, u16) {
    fn to_addrs(&self) -> io::Result<Addrs> {
        host_and_port(&self.0, self.1)
    }
}

impl ToSocketAddrs for [SocketAddr] {}
impl sealed::Sealed for [SocketAddr] {
    fn to_addrs(&self) -> io::Result<Addrs> {
        Ok(Addrs::Known(self.to_vec()))
    }
}

impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {}
impl<T: ToSocketAddrs + ?Sized> sealed::Sealed for &T {
    fn to_addrs(&self) -> io::Result<Addrs> {
        (**self).to_addrs()
    }
}

#[cfg(test)]
mod tests {
    use super::sealed::Sealed;
    use super::Addrs;

    fn is_known(addrs: std::io::Result<Addrs>) -> bool {
        matches!(addrs, Ok(Addrs::Known(_)))
    }

    #[test]
    fn numeric_addresses_need_no_lookup_and_names_do() {
        assert!(is_known("127.0.0.1:80".to_addrs()));
        assert!(is_known("[::1]:80".to_addrs()));
        assert!(is_known(("10.0.0.1", 80).to_addrs()));
        assert!(matches!("localhost:80".to_addrs(), Ok(Addrs::Name(n)) if n == "localhost:80"));
        assert!(
            matches!(("example.com", 80).to_addrs(), Ok(Addrs::Name(n)) if n == "example.com:80")
        );
        let error = "localhost".to_addrs().err().unwrap();
        assert!(
            error.to_string().contains("`localhost` is not an address"),
            "{error}"
        );
    }
}
