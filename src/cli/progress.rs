//! The progress bar of a long render.

use std::io::IsTerminal;

/// A progress bar on stderr, drawn only when stderr is a terminal, CI is unset, and the run
/// is still going after a moment (`SECRETGEN_PROGRESS_DELAY_MS`, default 500): a short run,
/// a pipe or a CI log never sees it.
pub(super) struct Progress {
    bar: Option<indicatif::ProgressBar>,
    start: std::time::Instant,
    delay: std::time::Duration,
    shown: std::sync::atomic::AtomicBool,
}

impl Progress {
    pub(super) fn new(wanted: bool, total: u64) -> Self {
        let enabled = wanted
            && total > 0
            && std::io::stderr().is_terminal()
            && std::env::var_os("CI").is_none();
        let delay = std::env::var("SECRETGEN_PROGRESS_DELAY_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(500);
        let bar = enabled.then(|| {
            let bar = indicatif::ProgressBar::with_draw_target(
                Some(total),
                indicatif::ProgressDrawTarget::hidden(),
            );
            if let Ok(style) =
                indicatif::ProgressStyle::with_template("rendering {bar:30} {pos}/{len} generators")
            {
                bar.set_style(style);
            }
            bar
        });
        Progress {
            bar,
            start: std::time::Instant::now(),
            delay: std::time::Duration::from_millis(delay),
            shown: std::sync::atomic::AtomicBool::new(false),
        }
    }

    pub(super) fn tick(&self) {
        use std::sync::atomic::Ordering;
        let Some(bar) = &self.bar else { return };
        bar.inc(1);
        if !self.shown.load(Ordering::Relaxed) && self.start.elapsed() >= self.delay {
            self.shown.store(true, Ordering::Relaxed);
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            bar.tick();
        }
    }

    pub(super) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// A [`Progress`] made when the run says how many generators it renders (the bar of
/// `secretgen render`).
#[derive(Default)]
pub(super) struct Bar(std::sync::OnceLock<Progress>);

impl secretgen::app::Progress for Bar {
    fn start(&self, generators: u64) {
        let _ = self.0.set(Progress::new(true, generators));
    }

    fn tick(&self) {
        if let Some(p) = self.0.get() {
            p.tick();
        }
    }

    fn finish(&self) {
        if let Some(p) = self.0.get() {
            p.finish();
        }
    }
}
