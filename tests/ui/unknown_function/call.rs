shapegrad::model! {
    struct M {
        dims { B: batch }
        params { w: [3, 4] = glorot }
        fn forward(x: [B, 3]) -> [B, 4] { swish(x @ w) }
    }
}
fn main() {}
