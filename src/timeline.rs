//! The timeline: dated events -> what the world is like on each simulated day.
//!
//! Computed once before a run, so the daily loop reads plain data (`DayConditions`): bit masks
//! of platforms in service and in the app stores, and the day's parameter values. An event dated
//! on day d applies from day d on; events before the start apply from day 0; events after the
//! end change nothing.

use crate::scenario::params::{Action, Param, Params};

/// The state of the world on one day.
#[derive(Debug, Clone, PartialEq)]
pub struct DayConditions {
    /// Bit k set: platform k is in service (its users can use it).
    pub up: u32,
    /// Bit k set: platform k can be installed from the app stores.
    pub in_store: u32,
    /// Logit appeal of each platform.
    pub appeal: Vec<f32>,
    /// Bass innovation p of each platform (per day).
    pub innovation: Vec<f32>,
    /// Bass imitation q of each platform (per day).
    pub imitation: Vec<f32>,
    /// Multiplier of every agent's peer weight.
    pub peer_scale: f32,
    /// Multiplier of every agent's attention (products above 1 count as 1).
    pub attention_scale: f32,
}

impl DayConditions {
    /// Platforms an agent with installed set `installed` can use or install today.
    #[inline]
    pub fn usable(&self, installed: u32) -> u32 {
        self.up & (installed | self.in_store)
    }
}

/// Conditions for every day of the run, indexed by day.
pub fn conditions(params: &Params) -> Vec<DayConditions> {
    let k = params.platforms.len();
    let all = if k == 32 { u32::MAX } else { (1u32 << k) - 1 };
    let mut today = DayConditions {
        up: all,
        in_store: all,
        appeal: params.platforms.iter().map(|p| p.appeal as f32).collect(),
        innovation: params
            .platforms
            .iter()
            .map(|p| p.innovation as f32)
            .collect(),
        imitation: params
            .platforms
            .iter()
            .map(|p| p.imitation as f32)
            .collect(),
        peer_scale: 1.0,
        attention_scale: 1.0,
    };
    let mut events = params.events.iter().peekable();
    (0..i64::from(params.days))
        .map(|day| {
            while let Some(e) = events.next_if(|e| e.day <= day) {
                apply(&mut today, e.action);
            }
            today.clone()
        })
        .collect()
}

fn apply(c: &mut DayConditions, action: Action) {
    match action {
        Action::Down(k) => c.up &= !(1 << k),
        Action::Up(k) => c.up |= 1 << k,
        Action::StoreRemove(k) => c.in_store &= !(1 << k),
        Action::StoreReturn(k) => c.in_store |= 1 << k,
        Action::Set(param, v) => {
            let v = v as f32;
            match param {
                Param::Appeal(k) => c.appeal[k] = v,
                Param::Innovation(k) => c.innovation[k] = v,
                Param::Imitation(k) => c.imitation[k] = v,
                Param::PeerScale => c.peer_scale = v,
                Param::AttentionScale => c.attention_scale = v,
            }
        }
        Action::Marker(_) => {}
    }
}
