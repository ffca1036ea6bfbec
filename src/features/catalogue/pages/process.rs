//! The process diagram of a guide (办理流程图): drawn on the server as SVG from the item's
//! published workflow — 申请, each step in the order approval leads, 办结 — readable without
//! JavaScript, with the same steps as a numbered list for screen readers and text browsers.
//! Step names are staff text: they go into `<text>` nodes and attributes (escaped), never into
//! a `<title>` (which Leptos does not escape).

use leptos::prelude::*;
use zhengwu_types::workflow::{ProcessStep, StepMode};

const BOX_W: i32 = 260;
const BOX_H: i32 = 52;
const GAP: i32 = 30;
const MARGIN: i32 = 10;

/// What a step's second line says: how it is decided and its own limit.
fn step_note(s: &ProcessStep) -> String {
    let mode = match s.mode {
        StepMode::Single => "专人办理",
        StepMode::All => "会签：多人共同审查",
        StepMode::Any => "或签：任一人决定",
    };
    match s.limit_days {
        Some(d) => format!("{mode} · {d} 个工作日内"),
        None => mode.to_string(),
    }
}

/// The boxes of the diagram: (first line, second line, kind) from applying to the result.
fn boxes(steps: &[ProcessStep], visits: i32) -> Vec<(String, String, &'static str)> {
    let apply = if visits == 0 { "网上提交，无需到现场" } else { "网上提交或到窗口提交" };
    let mut out = vec![("申请".to_string(), apply.to_string(), "end")];
    for s in steps {
        out.push((s.name.clone(), step_note(s), "step"));
    }
    out.push(("办结".to_string(), "送达办理结果".to_string(), "end"));
    out
}

#[component]
pub fn ProcessDiagram(steps: Vec<ProcessStep>, visits: i32) -> impl IntoView {
    let items = boxes(&steps, visits);
    let n = items.len() as i32;
    let height = MARGIN * 2 + n * BOX_H + (n - 1) * GAP;
    let width = BOX_W + MARGIN * 2;
    let label = format!("办理流程图：{}", items.iter().map(|(a, _, _)| a.as_str()).collect::<Vec<_>>().join(" → "));
    let shapes = items
        .iter()
        .enumerate()
        .map(|(i, (name, note, kind))| {
            let y = MARGIN + i as i32 * (BOX_H + GAP);
            let cx = MARGIN + BOX_W / 2;
            let arrow = (i as i32 + 1 < n).then(|| {
                let y1 = y + BOX_H;
                let y2 = y1 + GAP;
                view! {
                    <line x1=cx y1=y1 x2=cx y2=y2 - 7 class="flow-line" />
                    <path d=format!("M{} {} L{} {} L{} {} Z", cx - 6, y2 - 8, cx + 6, y2 - 8, cx, y2) class="flow-arrow" />
                }
            });
            let rx = if *kind == "end" { 26 } else { 6 };
            view! {
                <rect x=MARGIN y=y width=BOX_W height=BOX_H rx=rx class=format!("flow-box flow-{kind}") />
                <text x=cx y=y + 22 text-anchor="middle" class="flow-name">{name.clone()}</text>
                <text x=cx y=y + 41 text-anchor="middle" class="flow-note">{note.clone()}</text>
                {arrow}
            }
        })
        .collect_view();
    let list = items
        .iter()
        .map(|(name, note, _)| view! { <li><strong>{name.clone()}</strong>"：" {note.clone()}</li> })
        .collect_view();
    view! {
        <figure class="process">
            <svg viewBox=format!("0 0 {width} {height}") width=width height=height role="img" aria-label=label
                xmlns="http://www.w3.org/2000/svg" focusable="false">
                {shapes}
            </svg>
            <figcaption>
                <details>
                    <summary>"流程文字说明"</summary>
                    <ol class="process-steps">{list}</ol>
                </details>
            </figcaption>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_diagram_runs_from_applying_through_each_step_to_the_result() {
        let steps = vec![
            ProcessStep { name: "受理".into(), mode: StepMode::Any, limit_days: Some(1) },
            ProcessStep { name: "审查决定".into(), mode: StepMode::Single, limit_days: None },
        ];
        let b = boxes(&steps, 0);
        let names: Vec<&str> = b.iter().map(|x| x.0.as_str()).collect();
        assert_eq!(names, ["申请", "受理", "审查决定", "办结"]);
        assert_eq!(b[0].1, "网上提交，无需到现场");
        assert_eq!(b[1].1, "或签：任一人决定 · 1 个工作日内");
        assert_eq!(b[2].1, "专人办理");
    }
}
