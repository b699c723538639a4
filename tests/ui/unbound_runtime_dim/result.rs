shapegrad::model! {
    struct M {
        dims { B: batch, T: batch }
        params { w: [3, 1] = glorot }
        fn forward(x: [B, 3]) -> [T, 1] { x @ w }
    }
}
fn main() {}
