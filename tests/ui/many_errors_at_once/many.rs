shapegrad::model! {
    struct M {
        dims { B: batch }
        params { w: [3, 4] = glorot, v: [5, 1] = glorot }
        fn forward(x: [B, 3]) -> [B, 1] {
            let h = tanh(x @ w);
            h @ v
        }
        fn loss(x: [B, 3], y: [B, 2]) -> [] { mse(forward(x), y) + sum(z) }
    }
}
fn main() {}
