use shapegrad::prelude::*;
shapegrad::model! {
    pub struct Net {
        dims { B: batch }
        params { w: [3, 4] = glorot }
        fn forward(x: [B, 3]) -> [B, 5] { x @ w }
    }
}
fn main() {
    // Only the shape error above is reported, not errors about `Net` here.
    let dev = Cpu::default();
    let net: Net<f32, Cpu> = Net::new(&dev, 0);
    let x: Tensor<(usize, Const<3>), f32, Cpu> = dev.zeros_like(&(2usize, Const::<3>));
    let _y = net.forward(&x);
}
