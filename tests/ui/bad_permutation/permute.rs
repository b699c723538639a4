shapegrad::model! {
    struct M {
        dims { B: batch }
        params { w: [3, 4] = glorot }
        fn forward(x: [B, 3]) -> [4, B] { permute(x @ w, [1, 1]) }
    }
}
fn main() {}
