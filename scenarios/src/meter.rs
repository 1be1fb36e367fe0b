//! Timing a scenario's training steps: the device counts instructions, the host does nothing.

/// Times the training steps of a scenario. The firmware's meter reads the instruction counter
/// at [`start`](Meter::start) and [`stop`](Meter::stop); the host's ([`NoMeter`]) ignores both.
pub trait Meter {
    /// Called just before the first timed step.
    fn start(&mut self) {}
    /// Called just after the last timed step; `steps` is how many ran since `start`.
    fn stop(&mut self, steps: u32) {
        let _ = steps;
    }
    /// Called just before something else the scenario times (loading an image, say).
    fn start_other(&mut self) {}
    /// Called just after it, which ran `count` times; `key` names it (`cargo xtask mcu`
    /// reports `<key>_instructions`, per run, on the targets that count instructions).
    fn stop_other(&mut self, key: &'static str, count: u32) {
        let _ = (key, count);
    }
}

/// A meter that measures nothing (the host's).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoMeter;

impl Meter for NoMeter {}
