//! The learning-rate schedule: linear warm-up, then cosine decay to a floor (as nanoGPT).

/// Learning rate at `step` (0-based).
pub fn learning_rate(
    step: usize,
    max_lr: f64,
    min_lr: f64,
    warmup: usize,
    decay_steps: usize,
) -> f64 {
    if step < warmup {
        return max_lr * (step + 1) as f64 / (warmup + 1) as f64;
    }
    if step >= decay_steps || decay_steps <= warmup {
        return min_lr;
    }
    let progress = (step - warmup) as f64 / (decay_steps - warmup) as f64;
    let cosine = 0.5 * (1.0 + (std::f64::consts::PI * progress).cos());
    min_lr + cosine * (max_lr - min_lr)
}

#[cfg(test)]
mod tests {
    use super::learning_rate;

    #[test]
    fn warms_up_then_decays_to_the_floor() {
        let lr = |s| learning_rate(s, 1e-3, 1e-4, 10, 110);
        assert!(lr(0) < lr(5) && lr(5) < lr(9), "warm-up rises");
        assert!((lr(10) - 1e-3).abs() < 1e-12, "peak after warm-up");
        assert!(
            (lr(60) - 5.5e-4).abs() < 1e-9,
            "half-way is the mean of peak and floor"
        );
        assert!(lr(100) > lr(109));
        assert_eq!(lr(110), 1e-4);
        assert_eq!(lr(5000), 1e-4);
    }
}
