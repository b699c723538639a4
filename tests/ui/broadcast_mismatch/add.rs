shapegrad::model! {
    struct M {
        dims { B: batch }
        params { w: [3, 4] = glorot, b: [3] = zeros }
        fn forward(x: [B, 3]) -> [B, 4] { x @ w + b }
    }
}
fn main() {}
