shapegrad::model! {
    struct M {
        dims { B: batch }
        params { w: [3, 4] = glorot }
        fn forward(x: [B, 3]) -> [B, 3] { slice(x @ w, axis = 1, 2..5) }
    }
}
fn main() {}
