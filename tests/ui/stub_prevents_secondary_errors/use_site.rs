use shapegrad::optim::{Adam, Optimizer};
use shapegrad::prelude::*;
shapegrad::model! {
    pub struct Net {
        dims { B: batch }
        params { w: [3, 4] = glorot }
        fn forward(x: [B, 3]) -> [B, 5] { x @ w }
    }
}
/// Generic code over any model, as the runtime's trainers and checkpoints are written.
fn count<M: Model<f32, Cpu>>(m: &M) -> usize {
    num_params(m) + to_flat(&m.zero_grads()).len()
}
fn main() {
    // Only the shape error above is reported, not errors about `Net` here: its direct uses,
    // and its uses through the `Params`/`Model` traits.
    let dev = Cpu::default();
    let mut net: Net<f32, Cpu> = Net::new(&dev, 0);
    let x: Tensor<(usize, Const<3>), f32, Cpu> = dev.zeros_like(&(2usize, Const::<3>));
    let _n = count(&net.clone());
    let g = net.zero_grads();
    let mut opt = Adam::new(1e-3);
    let _ = opt.step(&mut net, &g);
    let _y = net.forward(&x);
}
