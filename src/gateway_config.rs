//! The gateway's compiled settings: where it listens, how clients prove who
//! they are, and how hard a wrong secret is punished. Plain data; the server
//! itself lives behind the `gateway` feature.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

use crate::source::Location;
use crate::vocab::AuthMode;

/// The port the gateway listens on by default.
pub const DEFAULT_PORT: u16 = 18789;
/// The environment variable a token is read from by default.
pub const DEFAULT_TOKEN_ENV: &str = "PALISADE_GATEWAY_TOKEN";
/// The environment variable a password is read from by default.
pub const DEFAULT_PASSWORD_ENV: &str = "PALISADE_GATEWAY_PASSWORD";

/// The address the gateway listens on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bind {
    /// 127.0.0.1.
    Loopback,
    /// Every interface.
    Lan,
    /// One address.
    Address(IpAddr),
}

impl Bind {
    /// The address to listen on.
    pub fn ip(self) -> IpAddr {
        match self {
            Bind::Loopback => IpAddr::V4(Ipv4Addr::LOCALHOST),
            Bind::Lan => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            Bind::Address(ip) => ip,
        }
    }

    /// Whether only this machine can connect.
    pub fn is_loopback(self) -> bool {
        self.ip().is_loopback()
    }
}

/// The exposure rule (claim 1), one home for the compiler's error and the
/// gateway's refusal to listen: no authentication beyond loopback.
pub fn exposed_without_auth(mode: AuthMode, ip: IpAddr) -> bool {
    #[cfg(feature = "seams")]
    if crate::seams::active(crate::seams::Bug::NoBindCheck) {
        return false;
    }
    mode == AuthMode::None && !ip.is_loopback()
}

/// Where the secret is read from when the gateway starts; the secret itself
/// never enters the policy, the engine, or a log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    /// An environment variable.
    Env(String),
    /// A file.
    File(PathBuf),
}

/// How clients authenticate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayAuth {
    /// None, token or password.
    pub mode: AuthMode,
    /// `None` only for mode `none`.
    pub secret: Option<SecretRef>,
}

/// Failed-authentication limits per client address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Failed attempts allowed per client address within `window`.
    pub attempts: u32,
    /// The window `attempts` counts over.
    pub window: Duration,
    /// How long a client that went over the limit is refused.
    pub lockout: Duration,
}

/// The gateway's settings, from the policy's `gateway` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayConfig {
    /// Listen address.
    pub bind: Bind,
    /// Listen port.
    pub port: u16,
    /// Client authentication.
    pub auth: GatewayAuth,
    /// Failed-authentication limits.
    pub rate_limit: RateLimit,
    /// How long a pairing code stays valid.
    pub pairing_ttl: Duration,
    /// Live pending pairing requests per channel account.
    pub pairing_cap: usize,
    /// How far a device's `signed_at` may be from the gateway's clock.
    pub device_skew: Duration,
    /// The `gateway` block, when the policy has one.
    pub at: Option<Location>,
}

impl GatewayConfig {
    /// Whether going from `self` to `new` needs a restart: the settings the
    /// running server read once at start (listen address, authentication and
    /// its secret's source, the failure limiter, the device clock skew).
    /// Pairing limits are read per request and apply at once; where the
    /// block is written (`at`) is no setting.
    pub fn needs_restart(&self, new: &GatewayConfig) -> bool {
        let GatewayConfig { bind, port, auth, rate_limit, pairing_ttl: _, pairing_cap: _, device_skew, at: _ } = self;
        (bind, port, auth, rate_limit, device_skew) != (&new.bind, &new.port, &new.auth, &new.rate_limit, &new.device_skew)
    }
}

impl Default for GatewayConfig {
    fn default() -> Self {
        GatewayConfig {
            bind: Bind::Loopback,
            port: DEFAULT_PORT,
            auth: GatewayAuth { mode: AuthMode::Token, secret: Some(SecretRef::Env(DEFAULT_TOKEN_ENV.into())) },
            rate_limit: RateLimit { attempts: 10, window: Duration::from_secs(60), lockout: Duration::from_secs(300) },
            pairing_ttl: Duration::from_secs(3600),
            pairing_cap: 3,
            device_skew: Duration::from_secs(120),
            at: None,
        }
    }
}
