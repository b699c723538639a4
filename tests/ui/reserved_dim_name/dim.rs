shapegrad::model! {
    struct M {
        dims { D: batch }
        params { w: [3, 1] = glorot }
        fn forward(x: [D, 3]) -> [D, 1] { x @ w }
    }
}
fn main() {}
