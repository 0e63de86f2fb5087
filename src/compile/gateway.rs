//! `gateway { }` -> `GatewayConfig`, refusing every exposed configuration:
//! a non-loopback bind without a secret is an error, not a warning.

use std::net::IpAddr;

use crate::ast::{AuthMode, SecretSource};
use crate::diagnostic::Code;
use crate::gateway_config::{Bind, GatewayAuth, GatewayConfig, SecretRef, DEFAULT_PASSWORD_ENV, DEFAULT_TOKEN_ENV};
use crate::settings::parse_duration;

impl super::Compiler<'_> {
    pub(super) fn gateway(&mut self) -> GatewayConfig {
        let mut config = GatewayConfig::default();
        let Some(settings) = &self.policy.gateway else { return config };
        config.at = Some(self.source.location(settings.span));
        if let Some(bind) = &settings.bind {
            let value = bind.value.trim().to_ascii_lowercase();
            config.bind = match value.as_str() {
                "loopback" | "localhost" => Bind::Loopback,
                "lan" | "all" => Bind::Lan,
                other => match other.parse::<IpAddr>() {
                    Ok(ip) if ip.is_unspecified() => Bind::Lan,
                    Ok(ip) => Bind::Address(ip),
                    Err(_) => {
                        self.error(Code::BadBind, bind.span, format!("`{}` is not a bind address", bind.value)).help =
                            Some("bind is `loopback`, `lan`, or an IP address such as \"192.168.1.10\"".into());
                        Bind::Loopback
                    }
                },
            };
        }
        if let Some(port) = &settings.port {
            match port.value.parse::<u16>() {
                Ok(p) if p > 0 => config.port = p,
                _ => {
                    self.error(Code::BadPort, port.span, format!("`{}` is not a port (1-65535)", port.value));
                }
            }
        }
        if let Some(auth) = &settings.auth {
            let secret = match (&auth.source, auth.mode.value) {
                (_, AuthMode::None) => {
                    if let Some(source) = &auth.source {
                        let span = match source {
                            SecretSource::Env(v) | SecretSource::File(v) => v.span,
                        };
                        self.warning(Code::NoEffect, span, "`auth none` reads no secret");
                    }
                    None
                }
                (Some(SecretSource::Env(name)), _) => {
                    let name = name.value.trim();
                    if name.is_empty() {
                        self.error(Code::BadSecret, auth.span, "empty environment variable name");
                    }
                    Some(SecretRef::Env(name.to_string()))
                }
                (Some(SecretSource::File(path)), _) => Some(SecretRef::File(path.value.trim().into())),
                (None, AuthMode::Token) => Some(SecretRef::Env(DEFAULT_TOKEN_ENV.into())),
                (None, AuthMode::Password) => Some(SecretRef::Env(DEFAULT_PASSWORD_ENV.into())),
            };
            config.auth = GatewayAuth { mode: auth.mode.value, secret };
        }
        if let Some(limit) = &settings.rate_limit {
            match limit.attempts.value.parse::<u32>() {
                Ok(n) if n > 0 => config.rate_limit.attempts = n,
                _ => {
                    self.error(Code::BadRateLimit, limit.attempts.span, "the attempt count must be at least 1");
                }
            }
            for (value, slot) in [(Some(&limit.window), &mut config.rate_limit.window), (limit.lockout.as_ref(), &mut config.rate_limit.lockout)] {
                let Some(value) = value else { continue };
                match parse_duration(&value.value) {
                    Some(d) if !d.is_zero() => *slot = d,
                    _ => {
                        self.error(Code::BadDuration, value.span, format!("`{}` is not a positive duration", value.value)).help =
                            Some("durations are written `250ms`, `30s`, `5m`, `2h` or `1d`".into());
                    }
                }
            }
        }
        if let Some(ttl) = &settings.pairing_ttl {
            match parse_duration(&ttl.value) {
                Some(d) if !d.is_zero() => config.pairing_ttl = d,
                _ => {
                    self.error(Code::BadDuration, ttl.span, format!("`{}` is not a positive duration", ttl.value));
                }
            }
        }
        if let Some(skew) = &settings.device_skew {
            match parse_duration(&skew.value) {
                Some(d) if !d.is_zero() => config.device_skew = d,
                _ => {
                    self.error(Code::BadDuration, skew.span, format!("`{}` is not a positive duration", skew.value));
                }
            }
        }
        if let Some(cap) = &settings.pairing_cap {
            match cap.value.parse::<usize>() {
                Ok(n) if (1..=1000).contains(&n) => config.pairing_cap = n,
                _ => {
                    self.error(Code::BadPairingCap, cap.span, "max_pending must be between 1 and 1000");
                }
            }
        }
        if config.auth.mode == AuthMode::None {
            let span = settings.auth.as_ref().map_or(settings.span, |a| a.span);
            if config.bind.is_loopback() {
                self.warning(Code::GatewayWithoutAuth, span, "the gateway accepts every local client without a secret").help =
                    Some("any process on this machine can run tools through it; prefer `auth token`".into());
            } else if crate::gateway_config::exposed_without_auth(config.auth.mode, config.bind.ip()) {
                let bind_span = settings.bind.as_ref().map_or(settings.span, |b| b.span);
                self.error(Code::ExposedGateway, bind_span, "a gateway bound beyond loopback must require a secret").help =
                    Some(format!("add `auth token` (read from ${DEFAULT_TOKEN_ENV}) or bind `loopback`"));
            }
        }
        config
    }
}
