//! AdamW as nanoGPT configures it: weight decay only on matrices (embeddings and linear
//! weights), never on biases or LayerNorm gains, and the gradient clipped to a global norm.
//!
//! Written here rather than taken from burn-optim because burn's AdamW decays every parameter
//! and clips each tensor's norm separately. Everything stays on the device: the clip factor is a
//! tensor, so a step never waits for a read-back (which a browser must not do).

use std::collections::HashMap;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::tensor::{Gradients, Tensor};

use crate::ops::{self, AdamWStep};

/// Hyper-parameters of AdamW.
#[derive(Clone, Debug, PartialEq)]
pub struct AdamWSettings {
    /// First-moment decay.
    pub beta1: f64,
    /// Second-moment decay.
    pub beta2: f64,
    /// Numerical floor in the denominator.
    pub eps: f64,
    /// Decoupled weight decay for rank >= 2 parameters.
    pub weight_decay: f64,
    /// Clip the global gradient norm to this (0 = no clipping).
    pub grad_clip: f64,
}

/// First and second moments of one parameter, flattened.
#[derive(Clone)]
struct Moments {
    m: Tensor<1>,
    v: Tensor<1>,
}

/// AdamW with global-norm gradient clipping; its state lives on the parameters' device.
#[derive(Clone)]
pub struct AdamW {
    settings: AdamWSettings,
    state: HashMap<ParamId, Moments>,
    t: i32,
}

impl AdamW {
    /// An optimizer with no state yet.
    pub fn new(settings: AdamWSettings) -> Self {
        Self {
            settings,
            state: HashMap::new(),
            t: 0,
        }
    }

    /// The hyper-parameters.
    pub fn settings(&self) -> &AdamWSettings {
        &self.settings
    }

    /// Update every parameter of `module` that has a gradient in `grads`, with learning rate `lr`.
    pub fn step<M: Module>(&mut self, lr: f64, module: M, grads: &Gradients) -> M {
        self.step_with(lr, module, &Autodiff(grads))
    }

    /// [`AdamW::step`] with gradients given per parameter (flattened), not by autodiff: what
    /// data-parallel training applies after averaging the replicas' gradients.
    pub fn step_given<M: Module>(
        &mut self,
        lr: f64,
        module: M,
        grads: &HashMap<ParamId, Tensor<1>>,
    ) -> M {
        self.step_with(lr, module, &Given(grads))
    }

    fn step_with<M: Module>(&mut self, lr: f64, module: M, grads: &dyn GradSource) -> M {
        self.t += 1;
        let clip = if self.settings.grad_clip > 0.0 {
            let mut norm = SquaredNorm { grads, total: None };
            module.visit(&mut norm);
            norm.total.map(|sq| {
                // min(1, clip / (norm + 1e-6)), kept on the device as a [1] tensor.
                (sq.sqrt().add_scalar(1e-6))
                    .recip()
                    .mul_scalar(self.settings.grad_clip)
                    .clamp_max(1.0)
            })
        } else {
            None
        };
        let mut mapper = Update {
            opt: self,
            grads,
            clip,
            lr,
        };
        module.map(&mut mapper)
    }
}

/// The optimizer's state, for saving a training run: the step count and, by parameter, the
/// first and second moments (flattened).
pub(crate) struct Saved {
    pub t: i32,
    pub moments: Vec<(ParamId, Tensor<1>, Tensor<1>)>,
}

impl AdamW {
    /// The moments of the parameters `ids` (those that have any yet).
    pub(crate) fn save(&self, ids: &[ParamId]) -> Saved {
        let moments = ids
            .iter()
            .filter_map(|id| self.state.get(id).map(|m| (*id, m.m.clone(), m.v.clone())))
            .collect();
        Saved { t: self.t, moments }
    }

    /// An optimizer that continues from saved state (ids of the model it will update).
    pub(crate) fn restore(settings: AdamWSettings, saved: Saved) -> Self {
        let state = saved
            .moments
            .into_iter()
            .map(|(id, m, v)| (id, Moments { m, v }))
            .collect();
        Self {
            settings,
            state,
            t: saved.t,
        }
    }
}

/// Where a step's gradients come from: autodiff, or given per parameter (flattened).
trait GradSource {
    /// The gradient of `value` (parameter `id`), flattened to `[n]`, on the device.
    fn grad_flat(&self, id: ParamId, value: &dyn FlatGrad) -> Option<Tensor<1>>;
}

/// A parameter value that can produce its autodiff gradient, flattened.
trait FlatGrad {
    fn autodiff_grad(&self, grads: &Gradients) -> Option<Tensor<1>>;
}

impl<const D: usize> FlatGrad for Tensor<D> {
    fn autodiff_grad(&self, grads: &Gradients) -> Option<Tensor<1>> {
        let n = self.shape().num_elements();
        self.grad(grads).map(|g| g.reshape([n]))
    }
}

/// Every parameter's autodiff gradient in `grads`, flattened, by parameter.
pub(crate) fn gradients_by_param<M: Module>(
    module: &M,
    grads: &Gradients,
) -> HashMap<ParamId, Tensor<1>> {
    struct Collect<'a> {
        grads: &'a Gradients,
        out: HashMap<ParamId, Tensor<1>>,
    }
    impl ModuleVisitor for Collect<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if let Some(g) = param.val().autodiff_grad(self.grads) {
                self.out.insert(param.id, g);
            }
        }
    }
    let mut c = Collect {
        grads,
        out: HashMap::new(),
    };
    module.visit(&mut c);
    c.out
}

struct Autodiff<'a>(&'a Gradients);
struct Given<'a>(&'a HashMap<ParamId, Tensor<1>>);

impl GradSource for Autodiff<'_> {
    fn grad_flat(&self, _: ParamId, value: &dyn FlatGrad) -> Option<Tensor<1>> {
        value.autodiff_grad(self.0)
    }
}

impl GradSource for Given<'_> {
    fn grad_flat(&self, id: ParamId, _: &dyn FlatGrad) -> Option<Tensor<1>> {
        self.0.get(&id).cloned()
    }
}

/// Sums the squares of all gradients.
struct SquaredNorm<'a> {
    grads: &'a dyn GradSource,
    total: Option<Tensor<1>>,
}

impl ModuleVisitor for SquaredNorm<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Some(g) = self.grads.grad_flat(param.id, &param.val()) {
            let sq = g.powi_scalar(2).sum(); // [1]
            self.total = Some(match self.total.take() {
                Some(t) => t + sq,
                None => sq,
            });
        }
    }
}

/// Applies one AdamW update to each parameter.
struct Update<'a> {
    opt: &'a mut AdamW,
    grads: &'a dyn GradSource,
    clip: Option<Tensor<1>>,
    lr: f64,
}

impl ModuleMapper for Update<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (id, value, mapper) = param.consume();
        let Some(grad) = self.grads.grad_flat(id, &value) else {
            return Param::from_mapped_value(id, value, mapper);
        };
        let s = &self.opt.settings;
        let shape = value.shape();
        let n = shape.num_elements();
        let p = value.inner().reshape([n]);
        let prev = self.opt.state.remove(&id).unwrap_or_else(|| Moments {
            m: grad.zeros_like(),
            v: grad.zeros_like(),
        });
        // No clipping is a clip factor of 1, made once per step (on a GPU, one upload).
        let clip = self
            .clip
            .get_or_insert_with(|| Tensor::ones([1], &grad.device()))
            .clone();
        let decay = if D >= 2 {
            self.lr * s.weight_decay
        } else {
            0.0
        };
        let step = AdamWStep {
            lr: self.lr,
            beta1: s.beta1,
            beta2: s.beta2,
            eps: s.eps,
            decay,
            t: self.opt.t,
        };
        // p <- p (1 - lr wd) - lr * m_hat / (sqrt(v_hat) + eps), in one pass where it can be.
        let (p, m, v) = ops::adamw_update(p, grad, prev.m, prev.v, clip, step);
        self.opt.state.insert(id, Moments { m, v });
        let updated = Tensor::from_inner(p.reshape(shape)).require_grad();
        Param::from_mapped_value(id, updated, mapper)
    }
}
