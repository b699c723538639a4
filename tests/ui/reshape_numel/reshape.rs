shapegrad::model! {
    struct M {
        dims { B: batch }
        params { w: [3, 4] = glorot }
        fn forward(x: [B, 3]) -> [B, 2, 3] { reshape(x @ w, [B, 2, 3]) }
    }
}
fn main() {}
