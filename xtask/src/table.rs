//! The report of `cargo xtask mcu`: one [`Row`] per scenario and target, printed as markdown
//! tables or as one JSON array.

use std::fmt::Write as _;

use crate::elf;
use crate::goals;
use crate::targets::Target;

/// One row of the report: one scenario (the minimal trainer, or a device scenario) on one
/// target.
#[derive(Clone, Debug)]
pub struct Row {
    /// `"minimal"`, or the device scenario's name.
    pub scenario: &'static str,
    /// The number type it trains in.
    pub number: &'static str,
    /// The target.
    pub target: &'static Target,
    /// True when the device's report equals the host's (a difference is an error).
    pub bit_identical: bool,
    /// The binary's sections.
    pub sizes: elf::Sizes,
    /// Peak stack, in bytes.
    pub peak_stack: u64,
    /// Bytes of the model, its gradients, caches and optimizer state.
    pub model_bytes: u64,
    /// Instructions per training step, on targets that count them.
    pub instructions_per_step: Option<u64>,
    /// The scenario's `metric` lines.
    pub metrics: Vec<(String, f64)>,
}

impl Row {
    /// RAM beyond the model: static RAM plus peak stack, less the model's own bytes.
    pub fn ram_beyond_model(&self) -> u64 {
        (self.sizes.static_ram() + self.peak_stack).saturating_sub(self.model_bytes)
    }

    pub fn measured(&self) -> goals::Measured<'static> {
        goals::Measured {
            triple: self.target.triple,
            flash: self.sizes.flash(),
            ram_beyond_model: self.ram_beyond_model(),
            instructions_per_step: self.instructions_per_step,
        }
    }
}

/// One JSON array, one object per target, keys in the documented order.
pub fn to_json(rows: &[Row]) -> String {
    let objects: Vec<String> = rows
        .iter()
        .map(|r| {
            let steps = r
                .instructions_per_step
                .map_or_else(|| "null".to_owned(), |n| n.to_string());
            let metrics: String = r
                .metrics
                .iter()
                .map(|(k, v)| format!(", {}: {}", serde_json::Value::from(k.as_str()), v))
                .collect();
            format!(
                "{{\"scenario\": {}, \"number\": {}, \"target\": {}, \"machine\": {}, \
                 \"bit_identical\": {}, \"flash_bytes\": {}, \"static_ram_bytes\": {}, \
                 \"peak_stack_bytes\": {}, \"model_bytes\": {}, \
                 \"instructions_per_step\": {steps}{metrics}}}",
                serde_json::Value::from(r.scenario),
                serde_json::Value::from(r.number),
                serde_json::Value::from(r.target.triple),
                serde_json::Value::from(r.target.machine),
                r.bit_identical,
                r.sizes.flash(),
                r.sizes.static_ram(),
                r.peak_stack,
                r.model_bytes,
            )
        })
        .collect();
    format!("[{}]", objects.join(", "))
}

/// The minimal trainer's table, then one table per device scenario.
pub fn to_markdown(rows: &[Row]) -> String {
    let mut s = String::new();
    s.push_str(
        "| Target | Core | QEMU machine | Bit-identical to host | Flash (.text+.rodata+.data) | \
         Static RAM (.data+.bss) | Peak stack | Model (params+grads+caches) | \
         RAM beyond the model | Instructions/step |\n",
    );
    s.push_str("|---|---|---|---|---:|---:|---:|---:|---:|---:|\n");
    for r in rows.iter().filter(|r| r.scenario == "minimal") {
        let _ = writeln!(
            s,
            "| `{}` | {} | `{}` | {} | {} B | {} B | {} B | {} B | {} B | {} |",
            r.target.triple,
            r.target.core,
            r.target.machine,
            if r.bit_identical { "yes" } else { "no" },
            r.sizes.flash(),
            r.sizes.static_ram(),
            r.peak_stack,
            r.model_bytes,
            r.ram_beyond_model(),
            r.instructions_per_step
                .map_or_else(|| "n/a".to_owned(), |n| n.to_string()),
        );
    }
    let mut names: Vec<(&str, &str)> = Vec::new();
    for r in rows.iter().filter(|r| r.scenario != "minimal") {
        if !names.contains(&(r.scenario, r.number)) {
            names.push((r.scenario, r.number));
        }
    }
    for (name, number) in names {
        let group: Vec<&Row> = rows
            .iter()
            .filter(|r| (r.scenario, r.number) == (name, number))
            .collect();
        let keys: Vec<&str> = group
            .first()
            .map(|r| r.metrics.iter().map(|(k, _)| k.as_str()).collect())
            .unwrap_or_default();
        let _ = write!(
            s,
            "\nScenario `{name}` ({number}):\n\n| Target | Bit-identical to host | Flash | \
             Static RAM | Peak stack | Model | Instructions/step |"
        );
        for k in &keys {
            let _ = write!(s, " {k} |");
        }
        s.push_str("\n|---|---|---:|---:|---:|---:|---:|");
        s.push_str(&"---:|".repeat(keys.len()));
        s.push('\n');
        for r in group {
            let _ = write!(
                s,
                "| `{}` | {} | {} B | {} B | {} B | {} B | {} |",
                r.target.triple,
                if r.bit_identical { "yes" } else { "no" },
                r.sizes.flash(),
                r.sizes.static_ram(),
                r.peak_stack,
                r.model_bytes,
                r.instructions_per_step
                    .map_or_else(|| "n/a".to_owned(), |n| n.to_string()),
            );
            for (_, v) in &r.metrics {
                let _ = write!(s, " {v} |");
            }
            s.push('\n');
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::TARGETS;

    const M4F: &Target = &TARGETS[1];

    #[test]
    fn json_is_one_array_with_the_documented_keys_in_order() {
        let row = Row {
            scenario: "minimal",
            number: "f32",
            target: M4F,
            bit_identical: true,
            sizes: elf::Sizes {
                text: 3000,
                rodata: 100,
                data: 208,
                bss: 320,
            },
            peak_stack: 440,
            model_bytes: 528,
            instructions_per_step: None,
            metrics: Vec::new(),
        };
        let mut layers = row.clone();
        layers.scenario = "layers";
        layers.metrics = vec![("final_loss".to_owned(), 1e-4)];
        let text = to_json(&[row.clone(), row, layers]);
        let value: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        let objects = value.as_array().expect("an array");
        assert_eq!(objects.len(), 3);
        assert_eq!(objects[2]["scenario"], "layers");
        assert_eq!(objects[2]["final_loss"], 1e-4);
        assert!(objects[0].get("final_loss").is_none());
        assert_eq!(objects[0]["flash_bytes"], 3308);
        assert_eq!(objects[0]["static_ram_bytes"], 528);
        assert!(objects[0]["instructions_per_step"].is_null());
        let keys = [
            "scenario",
            "number",
            "target",
            "machine",
            "bit_identical",
            "flash_bytes",
            "static_ram_bytes",
            "peak_stack_bytes",
            "model_bytes",
            "instructions_per_step",
        ];
        let positions: Vec<usize> = keys
            .iter()
            .map(|k| text.find(&format!("\"{k}\"")).expect("key present"))
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
    }
}
