shapegrad::model! {
    struct M {
        dims { B: batch }
        params { w: [3, 4] = glorot, v: [5, 2] = glorot }
        fn forward(x: [B, 3]) -> [B, 6] { concat(x @ w, v, axis = 1) }
    }
}
fn main() {}
