"""What a Vietnamese listener expects to hear for what a hamlet head types (Northern reading, as in Phú Thọ:
"linh" for 0 tens, "tư" for a 4 after "mươi", "nghìn" not "ngàn"). Used by the normaliser's tests and
to judge the normalisers on PyPI."""

from __future__ import annotations

CASES: list[tuple[str, str]] = [
    # dates
    ("2/9/2025", "ngày hai tháng chín năm hai nghìn không trăm hai mươi lăm"),
    ("ngày 2/9/2025", "ngày hai tháng chín năm hai nghìn không trăm hai mươi lăm"),
    ("Ngày 02/09/2025", "Ngày hai tháng chín năm hai nghìn không trăm hai mươi lăm"),
    ("30/4", "ngày ba mươi tháng tư"),
    ("ngày 1/5", "ngày một tháng năm"),
    ("tháng 12/2024", "tháng mười hai năm hai nghìn không trăm hai mươi tư"),
    ("từ 1/6 đến 15/6", "từ ngày một tháng sáu đến ngày mười lăm tháng sáu"),
    ("24-12-2025", "ngày hai mươi tư tháng mười hai năm hai nghìn không trăm hai mươi lăm"),
    ("năm 2000", "năm hai nghìn"),
    ("năm 1945", "năm một nghìn chín trăm bốn mươi lăm"),
    # times
    ("17:30", "mười bảy giờ ba mươi phút"),
    ("lúc 6:00", "lúc sáu giờ"),
    ("06:05", "sáu giờ năm phút"),
    ("7h30", "bảy giờ ba mươi phút"),
    ("19h", "mười chín giờ"),
    ("14h15 chiều nay", "mười bốn giờ mười lăm phút chiều nay"),
    ("từ 7:30 - 11:00", "từ bảy giờ ba mươi phút đến mười một giờ"),
    ("15h30-17h", "mười lăm giờ ba mươi phút đến mười bảy giờ"),
    ("từ 7-9 giờ", "từ bảy đến chín giờ"),
    # numbers
    ("0", "không"),
    ("10", "mười"),
    ("15", "mười lăm"),
    ("21", "hai mươi mốt"),
    ("105", "một trăm linh năm"),
    ("110", "một trăm mười"),
    ("1.000", "một nghìn"),
    ("1.005.000", "một triệu không trăm linh năm nghìn"),
    ("2.000.000.000", "hai tỷ"),
    ("thôn có 350 hộ", "thôn có ba trăm năm mươi hộ"),
    ("ngõ 3", "ngõ ba"),
    ("số nhà 12A", "số nhà mười hai A"),
    ("thứ 4", "thứ tư"),
    ("Thứ 2 tuần sau", "Thứ hai tuần sau"),
    ("2,5", "hai phẩy năm"),
    ("-5°C", "âm năm độ C"),
    # percentages
    ("15%", "mười lăm phần trăm"),
    ("100%", "một trăm phần trăm"),
    ("đạt 2,5%", "đạt hai phẩy năm phần trăm"),
    # phone numbers
    ("0912345678", "không chín một hai, ba bốn năm, sáu bảy tám"),
    ("gọi 0210.3856.789", "gọi không hai một không, ba tám năm sáu, bảy tám chín"),
    ("+84912345678", "cộng tám tư, chín một hai, ba bốn năm, sáu bảy tám"),
    # units and money
    ("150 kWh", "một trăm năm mươi ki-lô-oát giờ"),
    ("3 km", "ba ki-lô-mét"),
    ("2,5km", "hai phẩy năm ki-lô-mét"),
    ("50.000 đồng", "năm mươi nghìn đồng"),
    ("15.000đ", "mười lăm nghìn đồng"),
    ("200.000 VNĐ", "hai trăm nghìn đồng"),
    ("20 kg", "hai mươi ki-lô-gam"),
    ("500 m", "năm trăm mét"),
    ("1,2 ha", "một phẩy hai héc-ta"),
    ("40 km/h", "bốn mươi ki-lô-mét trên giờ"),
    ("mưa 120 mm", "mưa một trăm hai mươi mi-li-mét"),
    # abbreviations of official bulletins
    ("UBND xã Sơn Vi", "Ủy ban nhân dân xã Sơn Vi"),
    ("thẻ BHYT", "thẻ bảo hiểm y tế"),
    # a whole sentence
    ("Thông báo: 17:30 ngày 2/9, họp thôn tại nhà văn hoá, mang 50.000đ.",
     "Thông báo: mười bảy giờ ba mươi phút ngày hai tháng chín, họp thôn tại nhà văn hoá, "
     "mang năm mươi nghìn đồng."),
    # text without numbers passes unchanged (NFC)
    ("Kính mời bà con dự họp.", "Kính mời bà con dự họp."),
]
