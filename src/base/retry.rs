//! Retrying writes that lost an optimistic-concurrency race: a short wait that grows with each
//! attempt, shared by every module that writes with a resourceVersion.

/// Waits a little, longer with each attempt, with jitter so that racing writers spread out.
pub async fn backoff(attempt: u32) {
    backoff_doubling(attempt, 5).await
}

/// The same wait, doubled at most `doublings` times: for a write every racer must make in turn
/// (the trail's chained appends), where a long wait leaves the object idle while others wait too.
pub async fn backoff_doubling(attempt: u32, doublings: u32) {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let base = 5u64 << attempt.min(doublings);
    let millis = base + u64::from(nanos) % (base * 2);
    tokio::time::sleep(std::time::Duration::from_millis(millis)).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[tokio::test]
    async fn each_attempt_waits_longer_but_never_long() {
        for attempt in [0, 3, 40] {
            let start = Instant::now();
            backoff(attempt).await;
            let waited = start.elapsed();
            assert!(waited >= Duration::from_millis(5 << attempt.min(5)), "attempt {attempt}: {waited:?}");
            assert!(waited < Duration::from_secs(1), "attempt {attempt}: {waited:?}");
        }
    }
}
