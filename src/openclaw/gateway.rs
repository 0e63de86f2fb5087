//! `gateway`: bind, port, auth, rate limit.

use super::*;

impl Lowerer {
    /// `gateway.{bind,customBindHost,port,auth.{mode,rateLimit}}`. A literal
    /// secret in the file is not imported: the gateway reads secrets from the
    /// environment or a file, never from the policy.
    pub(super) fn gateway(&mut self, node: &Node, path: &str) {
        let Some(members) = self.object(node, path) else { return };
        let mut gateway = GatewaySettings { span: node.span, ..GatewaySettings::default() };
        let mut custom_host = None;
        for (key, value) in members {
            let p = format!("{path}.{}", key.name);
            match key.name.as_str() {
                "bind" => gateway.bind = self.string(value, &p),
                "customBindHost" => custom_host = self.string(value, &p),
                "port" => gateway.port = self.scalar(value, &p),
                "auth" => {
                    let Some(fields) = self.object(value, &p) else { continue };
                    let mut mode = None;
                    for (k, v) in fields {
                        let ap = format!("{p}.{}", k.name);
                        match k.name.as_str() {
                            "mode" => mode = self.named::<AuthMode>(v, &ap, "auth mode"),
                            "token" | "password" => {
                                self.sink.push(
                                    Diagnostic::warning(
                                        Code::LiteralSecret,
                                        &self.source,
                                        k.span,
                                        format!("`{ap}` holds a literal secret; it is not imported"),
                                    )
                                    .with_help("the gateway reads its secret from PALISADE_GATEWAY_TOKEN (or `auth token from file`); move it there"),
                                );
                                if mode.is_none() {
                                    let implied = if k.name == "token" { AuthMode::Token } else { AuthMode::Password };
                                    mode = Some(Spanned::new(implied, k.span));
                                }
                            }
                            "rateLimit" => gateway.rate_limit = self.rate_limit(v, &ap),
                            _ => self.ignored(k, &ap, "auth settings other than mode, token, password and rateLimit are not imported"),
                        }
                    }
                    if let Some(mode) = mode {
                        gateway.auth = Some(AuthSettings { mode, source: None, span: value.span });
                    }
                }
                _ => self.ignored(key, &p, "gateway settings other than bind, customBindHost, port and auth are not imported"),
            }
        }
        if gateway.bind.as_ref().is_some_and(|b| b.value == "custom") {
            gateway.bind = custom_host;
        }
        self.policy.gateway = Some(gateway);
    }

    /// `{ maxAttempts, windowMs, lockoutMs }`.
    pub(super) fn rate_limit(&mut self, node: &Node, path: &str) -> Option<RateLimitSettings> {
        let fields = self.object(node, path)?;
        let mut attempts = None;
        let mut window = None;
        let mut lockout = None;
        for (key, value) in fields {
            let p = format!("{path}.{}", key.name);
            let millis = |this: &mut Self| this.scalar(value, &p).map(|v| Spanned::new(format!("{}ms", v.value), v.span));
            match key.name.as_str() {
                "maxAttempts" => attempts = self.scalar(value, &p),
                "windowMs" => window = millis(self),
                "lockoutMs" => lockout = millis(self),
                _ => self.unknown(key, &p, &["maxAttempts", "windowMs", "lockoutMs"]),
            }
        }
        let span = node.span;
        Some(RateLimitSettings {
            attempts: attempts.unwrap_or_else(|| Spanned::new("10".into(), span)),
            window: window.unwrap_or_else(|| Spanned::new("1m".into(), span)),
            lockout,
            span,
        })
    }
}
