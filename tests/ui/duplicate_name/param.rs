shapegrad::model! {
    struct M {
        dims { B: batch }
        params { w: [3, 1] = glorot, w: [3, 1] = zeros }
        fn forward(x: [B, 3]) -> [B, 1] { x @ w }
    }
}
fn main() {}
