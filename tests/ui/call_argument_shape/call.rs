shapegrad::model! {
    struct M {
        dims { B: batch }
        params { w: [3, 1] = glorot }
        fn forward(x: [B, 3]) -> [B, 1] { x @ w }
        fn loss(x: [B, 4], y: [B, 1]) -> [] { mse(forward(x), y) }
    }
}
fn main() {}
