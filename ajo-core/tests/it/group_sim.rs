//! A tiny driver for group tests: decide, apply, and post every entry to a real ledger.

use ajo_core::group::{GroupCommand, GroupError, GroupEvent, GroupState, decide};
use ajo_core::ledger::Ledger;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};

pub struct Sim {
    pub state: GroupState,
    pub events: Vec<GroupEvent>,
    pub ledger: Ledger,
    pub now: DateTime<Utc>,
}

impl Sim {
    pub fn new(now: DateTime<Utc>) -> Sim {
        Sim {
            state: GroupState::default(),
            events: Vec::new(),
            ledger: Ledger::new(),
            now,
        }
    }

    /// Runs a command; on refusal asserts that nothing changed.
    pub fn run(&mut self, command: GroupCommand) -> Result<Vec<GroupEvent>, GroupError> {
        let before = self.state.clone();
        match decide(&self.state, &command, self.now) {
            Ok(events) => {
                for event in &events {
                    self.state.apply(event);
                    if let Some(entry) = event.entry() {
                        self.ledger.post(entry.clone(), self.now).unwrap();
                    }
                }
                self.events.extend(events.iter().cloned());
                assert!(self.ledger.trial_balance().is_zero());
                Ok(events)
            }
            Err(e) => {
                assert_eq!(self.state, before);
                Err(e)
            }
        }
    }

    pub fn ok(&mut self, command: GroupCommand) -> Vec<GroupEvent> {
        let shown = format!("{command:?}");
        self.run(command)
            .unwrap_or_else(|e| panic!("{shown} refused: {e}"))
    }

    pub fn at_date(&mut self, date: NaiveDate) {
        self.now = Utc.from_utc_datetime(&date.and_hms_opt(12, 0, 0).unwrap());
    }

    pub fn assert_replays(&self) {
        assert_eq!(GroupState::replay(&self.events), self.state);
    }
}
