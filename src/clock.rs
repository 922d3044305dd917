//! Injected time.
//!
//! Every expiry in fcmock (codes, tokens, sessions, interactions) is computed
//! from this clock, never from the system clock directly, so that tests and
//! scenarios can freeze or advance time and watch codes and tokens expire.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Sentinel for "not frozen".
const NOT_FROZEN: i64 = i64::MIN;

/// A shareable clock: real time plus an offset, or frozen at an instant.
///
/// Cloning is cheap and every clone sees the same adjustments, which is what
/// lets a test (or the control API) move time for a running server.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    inner: Arc<ClockInner>,
}

#[derive(Debug)]
struct ClockInner {
    /// Milliseconds added to the real time.
    offset_ms: AtomicI64,
    /// Milliseconds since the epoch when frozen, `NOT_FROZEN` otherwise.
    frozen_at_ms: AtomicI64,
}

impl Default for ClockInner {
    fn default() -> Self {
        Self {
            offset_ms: AtomicI64::new(0),
            frozen_at_ms: AtomicI64::new(NOT_FROZEN),
        }
    }
}

impl Clock {
    /// The real clock, unadjusted.
    pub fn system() -> Self {
        Self::default()
    }

    /// Current time in milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        let frozen = self.inner.frozen_at_ms.load(Ordering::Relaxed);
        if frozen != NOT_FROZEN {
            return frozen;
        }
        real_now_ms() + self.inner.offset_ms.load(Ordering::Relaxed)
    }

    /// Current time in whole seconds since the Unix epoch (JWT `iat`, `exp`).
    pub fn now(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }

    /// Moves time forward (or backward with a negative duration).
    pub fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX / 4);
        self.advance_ms(ms);
    }

    /// Moves time by a signed number of milliseconds.
    pub fn advance_ms(&self, ms: i64) {
        let frozen = self.inner.frozen_at_ms.load(Ordering::Relaxed);
        if frozen != NOT_FROZEN {
            self.inner
                .frozen_at_ms
                .store(frozen.saturating_add(ms), Ordering::Relaxed);
        } else {
            self.inner.offset_ms.fetch_add(ms, Ordering::Relaxed);
        }
    }

    /// Stops time at its current value until `unfreeze`.
    pub fn freeze(&self) {
        let now = self.now_ms();
        self.inner.frozen_at_ms.store(now, Ordering::Relaxed);
    }

    /// Lets time run again from where it was frozen.
    pub fn unfreeze(&self) {
        let frozen = self.inner.frozen_at_ms.swap(NOT_FROZEN, Ordering::Relaxed);
        if frozen != NOT_FROZEN {
            self.inner.offset_ms.store(frozen - real_now_ms(), Ordering::Relaxed);
        }
    }

    /// Sets the current time (keeping it frozen if it was).
    pub fn set_ms(&self, now_ms: i64) {
        if self.is_frozen() {
            self.inner.frozen_at_ms.store(now_ms, Ordering::Relaxed);
        } else {
            self.inner.offset_ms.store(now_ms - real_now_ms(), Ordering::Relaxed);
        }
    }

    /// Back to the real time, running.
    pub fn reset(&self) {
        self.inner.frozen_at_ms.store(NOT_FROZEN, Ordering::Relaxed);
        self.inner.offset_ms.store(0, Ordering::Relaxed);
    }

    /// Whether time is currently frozen.
    pub fn is_frozen(&self) -> bool {
        self.inner.frozen_at_ms.load(Ordering::Relaxed) != NOT_FROZEN
    }

    /// Current time as a `SystemTime`, for libraries that want one.
    pub fn system_time(&self) -> SystemTime {
        let ms = self.now_ms();
        if ms >= 0 {
            UNIX_EPOCH + Duration::from_millis(ms.unsigned_abs())
        } else {
            UNIX_EPOCH - Duration::from_millis(ms.unsigned_abs())
        }
    }

    /// Current time as a chrono UTC timestamp (openidconnect's verifier wants one).
    pub fn utc(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp_millis(self.now_ms()).unwrap_or_default()
    }
}

#[allow(clippy::disallowed_methods)] // the one real-time read in the crate
fn real_now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 4))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advance_moves_now_and_freeze_stops_it() {
        let clock = Clock::system();
        let before = clock.now();
        clock.advance(Duration::from_secs(3600));
        assert!(clock.now() >= before + 3600);
        clock.freeze();
        let frozen = clock.now_ms();
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(clock.now_ms(), frozen);
        clock.advance_ms(1000);
        assert_eq!(clock.now_ms(), frozen + 1000);
        clock.unfreeze();
        assert!(clock.now_ms() >= frozen + 1000);
    }
}
