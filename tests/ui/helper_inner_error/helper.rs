shapegrad::model! {
    struct M {
        dims { B: batch }
        params { w: [3, 4] = glorot }
        fn gto(r, a) { r @ a }
        fn forward(x: [B, 3]) -> [B, 4] { gto(x, x) }
    }
}
fn main() {}
