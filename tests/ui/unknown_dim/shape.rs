shapegrad::model! {
    struct M {
        dims { B: batch }
        params { w: [3, H] = glorot }
        fn forward(x: [B, 3]) -> [B, H] { x @ w }
    }
}
fn main() {}
