shapegrad::model! {
    struct M {
        dims { B: batch }
        params { w: [3, 3] = glorot }
        fn forward(x: [B, 3]) -> [B, 3] { forward(tanh(x @ w)) }
    }
}
fn main() {}
